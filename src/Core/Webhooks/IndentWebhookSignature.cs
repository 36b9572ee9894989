using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Approvals.Core.Webhooks;

/// <summary>Indent's <c>v0</c> webhook signature: lowercase hex HMAC-SHA256 of <c>v0:{timestamp}:{raw body}</c>
/// keyed with the UTF-8 webhook secret.</summary>
public static partial class IndentWebhookSignature
{
    public const string TimestampHeader = "X-Indent-Timestamp";
    public const string SignatureHeader = "X-Indent-Signature";

    /// <summary>Signs <paramref name="body"/> (the exact bytes sent) for <paramref name="timestamp"/>.</summary>
    public static string Sign(string secret, string timestamp, ReadOnlySpan<byte> body)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        ArgumentNullException.ThrowIfNull(timestamp);
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        Compute(Encoding.UTF8.GetBytes(secret), timestamp, body, mac);
        return Convert.ToHexStringLower(mac);
    }

    /// <summary>The timestamp format we send: RFC 3339 UTC with milliseconds, as JavaScript's toISOString.</summary>
    public static string FormatTimestamp(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    internal static void Compute(byte[] key, string timestamp, ReadOnlySpan<byte> body, Span<byte> destination)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        hmac.AppendData("v0:"u8);
        hmac.AppendData(Encoding.UTF8.GetBytes(timestamp));
        hmac.AppendData(":"u8);
        hmac.AppendData(body);
        hmac.GetHashAndReset(destination);
    }

    /// <summary>RFC 3339 date-time: <c>2020-05-01T07:00:00Z</c>, optional fraction, <c>Z</c> or a numeric offset.</summary>
    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    internal static partial Regex Rfc3339();
}

/// <summary>Why a webhook was rejected. Says what was wrong without revealing the expected signature.</summary>
public enum WebhookRejection
{
    None = 0,
    MissingTimestamp,
    MissingSignature,
    DuplicateHeader,
    UnparsableTimestamp,
    StaleTimestamp,
    FutureTimestamp,
    MalformedSignature,
    SignatureMismatch,
    NoSecretConfigured,
}

/// <summary>The verdict on one delivery.</summary>
public readonly record struct WebhookVerification(WebhookRejection Rejection, DateTimeOffset? Timestamp)
{
    public bool IsValid => Rejection == WebhookRejection.None;

    /// <summary>A sentence for the sender (safe to return over HTTP and to log).</summary>
    public string Describe() => Rejection switch
    {
        WebhookRejection.None => "valid",
        WebhookRejection.MissingTimestamp => $"missing {IndentWebhookSignature.TimestampHeader} header",
        WebhookRejection.MissingSignature => $"missing {IndentWebhookSignature.SignatureHeader} header",
        WebhookRejection.DuplicateHeader => "signature or timestamp header given more than once",
        WebhookRejection.UnparsableTimestamp => $"{IndentWebhookSignature.TimestampHeader} is not an RFC 3339 timestamp",
        WebhookRejection.StaleTimestamp => "timestamp is older than the allowed window",
        WebhookRejection.FutureTimestamp => "timestamp is further in the future than the allowed window",
        WebhookRejection.MalformedSignature => "signature is not 64 lowercase hex characters",
        WebhookRejection.SignatureMismatch => "signature does not match",
        WebhookRejection.NoSecretConfigured => "no webhook secret is configured",
        _ => "rejected",
    };
}

/// <summary>Verifies Indent <c>v0</c> webhook signatures over the raw body: constant-time comparison, a timestamp
/// window in both directions (default 5 minutes), and several secrets at once so a secret can be rotated.</summary>
public sealed class IndentWebhookVerifier(TimeProvider timeProvider, TimeSpan? tolerance = null)
{
    public const string ToleranceSetting = "APPROVALS_WEBHOOK_TOLERANCE_SECONDS";
    public static readonly TimeSpan DefaultTolerance = TimeSpan.FromMinutes(5);

    public TimeSpan Tolerance { get; } = tolerance ?? DefaultTolerance;

    /// <summary>Verifies one delivery. Header arrays are as received (a header given twice is rejected).</summary>
    public WebhookVerification Verify(ReadOnlySpan<byte> body, IReadOnlyList<string?>? timestampHeader, IReadOnlyList<string?>? signatureHeader, IReadOnlyList<string> secrets)
    {
        if (timestampHeader is null || timestampHeader.Count == 0 || string.IsNullOrWhiteSpace(timestampHeader[0]))
        {
            return new(WebhookRejection.MissingTimestamp, null);
        }

        if (signatureHeader is null || signatureHeader.Count == 0 || string.IsNullOrWhiteSpace(signatureHeader[0]))
        {
            return new(WebhookRejection.MissingSignature, null);
        }

        if (timestampHeader.Count > 1 || signatureHeader.Count > 1 || timestampHeader[0]!.Contains(',') || signatureHeader[0]!.Contains(','))
        {
            return new(WebhookRejection.DuplicateHeader, null);
        }

        var timestampText = timestampHeader[0]!;
        if (timestampText.Length > 40 || !IndentWebhookSignature.Rfc3339().IsMatch(timestampText)
            || !DateTimeOffset.TryParse(timestampText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var timestamp))
        {
            return new(WebhookRejection.UnparsableTimestamp, null);
        }

        var age = timeProvider.GetUtcNow() - timestamp;
        if (age > Tolerance)
        {
            return new(WebhookRejection.StaleTimestamp, timestamp);
        }

        if (-age > Tolerance)
        {
            return new(WebhookRejection.FutureTimestamp, timestamp);
        }

        Span<byte> given = stackalloc byte[HMACSHA256.HashSizeInBytes];
        if (!TryDecodeHex(signatureHeader[0]!.Trim(), given))
        {
            return new(WebhookRejection.MalformedSignature, timestamp);
        }

        var usable = secrets.Where(s => !string.IsNullOrEmpty(s)).ToList();
        if (usable.Count == 0)
        {
            return new(WebhookRejection.NoSecretConfigured, timestamp);
        }

        // Check every secret, whatever matched, so timing does not reveal which one (or whether one) matched.
        Span<byte> expected = stackalloc byte[HMACSHA256.HashSizeInBytes];
        var matched = false;
        foreach (var secret in usable)
        {
            IndentWebhookSignature.Compute(Encoding.UTF8.GetBytes(secret), timestampText, body, expected);
            matched |= CryptographicOperations.FixedTimeEquals(expected, given);
        }

        CryptographicOperations.ZeroMemory(expected);
        return new(matched ? WebhookRejection.None : WebhookRejection.SignatureMismatch, timestamp);
    }

    static bool TryDecodeHex(string text, Span<byte> destination)
    {
        // Indent sends lowercase hex; anything else is malformed (and an upper-cased copy is not the same signature).
        if (text.Length != destination.Length * 2 || !text.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f'))
        {
            return false;
        }

        return Convert.FromHexString(text, destination, out _, out var written) == System.Buffers.OperationStatus.Done && written == destination.Length;
    }
}
