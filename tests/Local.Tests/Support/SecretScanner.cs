using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace Approvals.Local.Tests.Support;

/// <summary>Finds secrets in text the way a leak would carry them: as is, JSON-escaped (System.Text.Json writes
/// <c>+</c> as <c>\u002B</c> and <c>&amp;</c> as <c>\u0026</c>), URL-encoded, or base64-encoded.</summary>
public static partial class SecretScanner
{
    /// <summary>Every (secret, haystack) pair where the haystack, decoded, contains the secret.</summary>
    public static IReadOnlyList<(string Secret, string Haystack)> Find(IEnumerable<string> secrets, IEnumerable<string> haystacks)
    {
        var decoded = haystacks.Select(h => (Original: h, Forms: Forms(h))).ToList();
        return [.. from secret in secrets.Where(s => s.Length >= 8)
                   from h in decoded
                   where h.Forms.Any(form => form.Contains(secret, StringComparison.Ordinal)) || Base64Forms(secret).Any(b => h.Original.Contains(b, StringComparison.Ordinal))
                   select (secret, h.Original)];
    }

    /// <summary>The text, its JSON-unescaped form and its URL-decoded forms.</summary>
    static string[] Forms(string text)
    {
        var json = JsonEscape().Replace(text, m => ((char)Convert.ToInt32(m.Groups[1].Value, 16)).ToString())
            .Replace("\\\"", "\"", StringComparison.Ordinal).Replace("\\/", "/", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal);
        return [text, json, WebUtility.UrlDecode(text), WebUtility.UrlDecode(json)];
    }

    /// <summary>The secret's base64 as it appears at any of the three byte alignments (the stable middle of each).</summary>
    static IEnumerable<string> Base64Forms(string secret)
    {
        for (var shift = 0; shift < 3; shift++)
        {
            var encoded = Convert.ToBase64String(Encoding.UTF8.GetBytes(new string('\0', shift) + secret));
            // Drop the characters that depend on neighbouring bytes: the first two after the padding, and the last four.
            var start = shift == 0 ? 0 : 4;
            if (encoded.Length - 4 > start + 8)
            {
                yield return encoded[start..^4];
            }
        }
    }

    [GeneratedRegex(@"\\u([0-9a-fA-F]{4})", RegexOptions.CultureInvariant)]
    private static partial Regex JsonEscape();
}
