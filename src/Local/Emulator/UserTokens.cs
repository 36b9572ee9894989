using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Approvals.Local.Emulator;

/// <summary>The emulator's Indent API tokens for people: JWT-shaped (<c>sub</c> = the person's email, which is what
/// Indent reads as the actor) and HMAC-SHA256-signed with the emulator's service token, so they need no storage and
/// survive restarts. Checked in constant time.</summary>
public static class UserTokens
{
    static readonly string Header = Base64Url.EncodeToString("{\"alg\":\"HS256\",\"typ\":\"JWT\"}"u8);

    public static string Issue(string email, string key)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(email);
        ArgumentException.ThrowIfNullOrEmpty(key);
        var payload = Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["sub"] = email.Trim().ToLowerInvariant(), ["kind"] = "user" }));
        return $"{Header}.{payload}.{Sign(Header + "." + payload, key)}";
    }

    /// <summary>True when <paramref name="token"/> was issued under one of <paramref name="keys"/>.</summary>
    public static bool IsValid(string? token, IReadOnlyList<string> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var parts = token?.Split('.');
        if (parts is not { Length: 3 } || parts[0] != Header)
        {
            return false;
        }

        var given = Encoding.ASCII.GetBytes(parts[2]);
        var ok = false;
        foreach (var key in keys)
        {
            ok |= CryptographicOperations.FixedTimeEquals(given, Encoding.ASCII.GetBytes(Sign(parts[0] + "." + parts[1], key)));
        }

        return ok;
    }

    static string Sign(string data, string key) => Base64Url.EncodeToString(HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), Encoding.ASCII.GetBytes(data)));
}
