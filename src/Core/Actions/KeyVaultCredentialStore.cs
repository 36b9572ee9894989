using Azure;
using Azure.Security.KeyVault.Secrets;
using Microsoft.Extensions.DependencyInjection;

namespace Approvals.Core.Actions;

/// <summary>Temporary credentials as Key Vault secrets with an expiry; the reference is the secret's versioned id (its
/// first version: see <see cref="AddAsync"/>).</summary>
public sealed class KeyVaultCredentialStore([FromKeyedServices(KeyVaultCredentialStore.ClientKey)] SecretClient client) : ICredentialStore
{
    /// <summary>The DI key of the <see cref="SecretClient"/> for the credentials vault (apart from the secrets vault's).</summary>
    public const string ClientKey = "credentials-vault";

    const string AppliedTag = "applied";

    /// <summary>How long a writer waits before it lists the versions (Key Vault's timestamps have one-second resolution).</summary>
    public static readonly TimeSpan SettleTime = TimeSpan.FromSeconds(1.1);

    public async Task<StoredCredential?> GetAsync(string name, CancellationToken cancellationToken = default)
    {
        try
        {
            return ToCredential(await FirstVersionAsync(name, cancellationToken));
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    /// <summary>Key Vault has no conditional create, so the first version wins: every writer sets a version, then all
    /// of them adopt the oldest one; later versions are disabled so nothing else can read them. Key Vault stamps versions
    /// to the second, so a writer lists only after <see cref="SettleTime"/>: by then every version that could tie with
    /// its own is visible, and every writer computes the same winner (oldest, then lowest version id).</summary>
    public async Task<StoredCredential> AddAsync(string name, string value, DateTimeOffset expiresOn, IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken = default)
    {
        var secret = new KeyVaultSecret(name, value);
        secret.Properties.ExpiresOn = expiresOn;
        secret.Properties.ContentType = "text/plain; temporary password";
        foreach (var (key, tagValue) in tags)
        {
            secret.Properties.Tags[key] = tagValue;
        }

        KeyVaultSecret mine = await client.SetSecretAsync(secret, cancellationToken);
        await Task.Delay(SettleTime, cancellationToken);
        var first = await FirstVersionAsync(name, cancellationToken);
        if (first.Properties.Version != mine.Properties.Version)
        {
            mine.Properties.Enabled = false;
            await client.UpdateSecretPropertiesAsync(mine.Properties, cancellationToken);
        }

        return ToCredential(first);
    }

    async Task<KeyVaultSecret> FirstVersionAsync(string name, CancellationToken cancellationToken)
    {
        SecretProperties? first = null;
        await foreach (var version in client.GetPropertiesOfSecretVersionsAsync(name, cancellationToken))
        {
            if (first is null || (version.CreatedOn, version.Version).CompareTo((first.CreatedOn, first.Version)) < 0)
            {
                first = version;
            }
        }

        return first is null
            ? throw new RequestFailedException(404, $"Secret {name} has no versions.")
            : (await client.GetSecretAsync(name, first.Version, cancellationToken)).Value;
    }

    static StoredCredential ToCredential(KeyVaultSecret secret) =>
        new(
            secret.Name,
            secret.Id.ToString(),
            secret.Value,
            secret.Properties.ExpiresOn ?? DateTimeOffset.MaxValue,
            secret.Properties.Tags.TryGetValue(AppliedTag, out var applied) && applied == "true",
            secret.Properties.CreatedOn);

    public async Task MarkAppliedAsync(string name, CancellationToken cancellationToken = default)
    {
        var secret = await FirstVersionAsync(name, cancellationToken);
        secret.Properties.Tags[AppliedTag] = "true";
        await client.UpdateSecretPropertiesAsync(secret.Properties, cancellationToken);
    }

    /// <summary>Deletes the secret (every version) and purges it where the vault allows; with purge protection on (or
    /// without the purge permission) the deleted secret stays recoverable by an administrator until its retention ends.</summary>
    public async Task<bool> DestroyAsync(string name, CancellationToken cancellationToken = default)
    {
        var deleted = true;
        try
        {
            var operation = await client.StartDeleteSecretAsync(name, cancellationToken);
            await operation.WaitForCompletionAsync(cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            deleted = false; // already deleted (perhaps by an attempt that died before purging)
        }

        try
        {
            await client.PurgeDeletedSecretAsync(name, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status is 403 or 404)
        {
            // 403: purge protection, or no purge permission; 404: already purged. Deleted either way.
        }

        return deleted;
    }
}
