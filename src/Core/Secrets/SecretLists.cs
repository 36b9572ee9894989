namespace Approvals.Core.Secrets;

/// <summary>Secrets that may hold several values while they are rotated (the webhook secret, the seal key): written
/// comma-separated, the first one current, any one accepted.</summary>
public static class SecretLists
{
    /// <summary>The values of a comma-separated secret, first one first; empty when unset.</summary>
    public static IReadOnlyList<string> Split(string? configured) =>
        (configured ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Reads <paramref name="name"/> and splits it (see <see cref="Split"/>).</summary>
    public static async ValueTask<IReadOnlyList<string>> GetSecretListAsync(this ISecretProvider secrets, string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        return Split(await secrets.GetSecretAsync(name, cancellationToken));
    }
}
