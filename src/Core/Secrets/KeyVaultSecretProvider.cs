using System.Collections.Concurrent;
using Azure;
using Azure.Security.KeyVault.Secrets;

namespace Approvals.Core.Secrets;

/// <summary>Secrets from Key Vault, cached for <see cref="RefreshInterval"/> so a rotated secret takes effect
/// within that time without a restart. Setting names map to secret names: <c>INDENT_API_TOKEN</c> →
/// <c>indent-api-token</c>.</summary>
public sealed class KeyVaultSecretProvider(SecretClient client, TimeProvider timeProvider) : ISecretProvider
{
    public const string VaultUriSetting = "KEY_VAULT_URI";
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromMinutes(5);

    readonly ConcurrentDictionary<string, (string? Value, DateTimeOffset FetchedAt)> cache = new(StringComparer.Ordinal);

    public static string SecretName(string setting) => setting.Replace('_', '-').ToLowerInvariant();

    public async ValueTask<string?> GetSecretAsync(string name, CancellationToken cancellationToken = default)
    {
        var now = timeProvider.GetUtcNow();
        if (cache.TryGetValue(name, out var cached) && now - cached.FetchedAt < RefreshInterval)
        {
            return cached.Value;
        }

        string? value;
        try
        {
            KeyVaultSecret secret = await client.GetSecretAsync(SecretName(name), cancellationToken: cancellationToken);
            value = string.IsNullOrWhiteSpace(secret.Value) ? null : secret.Value.Trim();
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            value = null;
        }
        catch (RequestFailedException) when (cached.FetchedAt != default)
        {
            // Key Vault briefly unavailable: keep serving the last value rather than failing every request.
            return cached.Value;
        }

        cache[name] = (value, now);
        return value;
    }

    /// <summary>Drops the cache so the next read fetches again (after a signature mismatch, say).</summary>
    public void Invalidate(string name) => cache.TryRemove(name, out _);
}
