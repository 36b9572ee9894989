using System.Buffers.Text;
using System.Text.Json;

namespace Approvals.Core.Indent;

/// <summary>Reads the <c>sub</c> claim of a JWT-shaped Indent token (the caller's email), without validating it:
/// Indent validates tokens; we only want to name the petitioner.</summary>
public static class IndentToken
{
    public static string? TryGetSubject(string? token)
    {
        var parts = token?.Split('.');
        if (parts is not { Length: 3 } || parts[1].Length is 0 or > 8192)
        {
            return null;
        }

        try
        {
            var payload = Base64Url.DecodeFromChars(parts[1]);
            using var document = JsonDocument.Parse(payload);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("sub", out var sub)
                && sub.ValueKind == JsonValueKind.String
                ? sub.GetString()
                : null;
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            return null;
        }
    }
}
