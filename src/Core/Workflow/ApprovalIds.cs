using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Approvals.Core.Workflow;

/// <summary>Instance ids that read well in Durable Functions Monitor: <c>reset-password-{userId}-{16 hex}</c>.</summary>
public static partial class ApprovalIds
{
    public static string New(string action, string userId) =>
        $"{action}-{userId}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}";

    /// <summary>The id for an idempotency key: <c>{action}-key-{16 hex}</c>, one per caller and key whatever the body
    /// says, so a key reused for another user meets its first request (and a 409) instead of starting a second approval.</summary>
    public static string ForIdempotencyKey(string action, string callerId, string key) =>
        $"{action}-key-{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(action + "\n" + callerId + "\n" + key)))[..16]}";

    public static bool IsValid(string? id) => id is { Length: <= 120 } && IdPattern().IsMatch(id);

    [GeneratedRegex(@"^[a-z]+(-[a-z]+)*-[A-Za-z0-9][A-Za-z0-9._@-]{0,63}-[0-9a-f]{16}$", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex IdPattern();
}
