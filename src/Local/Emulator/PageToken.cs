using System.Globalization;
using System.Text;

namespace Approvals.Local.Emulator;

/// <summary>The emulator's one page-token format: the next offset, base64-encoded (opaque to clients, as Indent's are).</summary>
public static class PageToken
{
    public static string For(int offset, int total) =>
        offset < total ? Convert.ToBase64String(Encoding.UTF8.GetBytes(offset.ToString(CultureInfo.InvariantCulture))) : "";

    /// <summary>The offset a token stands for; 0 for none; <see cref="EmulatorException"/> for one we did not issue.</summary>
    public static int Offset(string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return 0;
        }

        try
        {
            return int.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(token)), NumberStyles.None, CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            throw EmulatorException.Invalid("pageToken is not one this server issued");
        }
    }

    /// <summary>One page of <paramref name="items"/> and the token for the next.</summary>
    public static (IReadOnlyList<T> Page, string NextPageToken) Page<T>(IReadOnlyList<T> items, int? pageSize, string? pageToken)
    {
        var size = pageSize is null or 0 ? 50 : pageSize.Value;
        if (size is < 1 or > 1000)
        {
            throw EmulatorException.Invalid("pageSize must be from 1 to 1000");
        }

        var offset = Offset(pageToken);
        var page = items.Skip(offset).Take(size).ToList();
        return (page, For(offset + page.Count, items.Count));
    }
}
