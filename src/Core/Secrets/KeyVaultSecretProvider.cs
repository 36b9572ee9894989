using System.Collections.Concurrent;
using Azure;
using Azure.Security.KeyVault.Secrets;

namespace Approvals.Core.Secrets;

/// <summary>Secrets from Key Vault, cached for <see cref="RefreshInterval"/> so a rotated secret takes effect
/// within that time without a restart. Setting names map to secret names: <c>INDENT_API_TOKEN</c> →
/// <c>indent-api-token</c>. Reads are single-flight per secret, and a failed read never discards the last good value.</summary>
public sealed class KeyVaultSecretProvider(SecretClient client, TimeProvider timeProvider) : ISecretProvider
{
    public const string VaultUriSetting = "KEY_VAULT_URI";
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromMinutes(5);

    /// <summary>The least time between two reads of one secret that a caller forces (<see cref="TryRefreshAsync"/>): a
    /// flood of forged webhooks must not become a flood of Key Vault reads (billed, and throttled at 429 for everyone).</summary>
    public static readonly TimeSpan ForcedRefreshInterval = TimeSpan.FromSeconds(30);

    sealed record Entry(string? Value, DateTimeOffset FetchedAt);

    readonly ConcurrentDictionary<string, Entry> cache = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, SemaphoreSlim> gates = new(StringComparer.Ordinal);

    public static string SecretName(string setting) => setting.Replace('_', '-').ToLowerInvariant();

    public async ValueTask<string?> GetSecretAsync(string name, CancellationToken cancellationToken = default)
    {
        // A secret not there yet is asked for again sooner, so a fresh deployment recovers soon after it is stored.
        var fresh = cache.TryGetValue(name, out var cached) && cached.Value is null ? ForcedRefreshInterval : RefreshInterval;
        if (cached is not null && timeProvider.GetUtcNow() - cached.FetchedAt < fresh)
        {
            return cached.Value;
        }

        return (await ReadAsync(name, fresh, cancellationToken)).Value;
    }

    /// <summary>Reads the secret again unless it was read within <see cref="ForcedRefreshInterval"/> (after a signature
    /// mismatch, say). True when this call fetched a value different from the one cached before.</summary>
    public async Task<bool> TryRefreshAsync(string name, CancellationToken cancellationToken = default)
    {
        cache.TryGetValue(name, out var before);
        var after = await ReadAsync(name, ForcedRefreshInterval, cancellationToken);
        return before is null || before.Value != after.Value;
    }

    /// <summary>Single-flight: one read per secret at a time; whoever waited behind it sees its result.</summary>
    async Task<Entry> ReadAsync(string name, TimeSpan freshEnough, CancellationToken cancellationToken)
    {
        var gate = gates.GetOrAdd(name, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            var now = timeProvider.GetUtcNow();
            if (cache.TryGetValue(name, out var cached) && now - cached.FetchedAt < freshEnough)
            {
                return cached;
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
            catch (RequestFailedException) when (cached is not null)
            {
                // Key Vault unavailable or throttling: keep the last good value, and do not ask again at once.
                return cache[name] = cached with { FetchedAt = now };
            }

            return cache[name] = new Entry(value, now);
        }
        finally
        {
            gate.Release();
        }
    }
}
