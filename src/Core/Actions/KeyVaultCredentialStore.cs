using Azure;
using Azure.Security.KeyVault.Secrets;

namespace Approvals.Core.Actions;

/// <summary>Temporary credentials as Key Vault secrets with an expiry; the reference is the secret's versioned id.</summary>
public sealed class KeyVaultCredentialStore(SecretClient client) : ICredentialStore
{
    const string AppliedTag = "applied";

    public async Task<StoredCredential?> GetAsync(string name, CancellationToken cancellationToken = default)
    {
        try
        {
            KeyVaultSecret secret = await client.GetSecretAsync(name, cancellationToken: cancellationToken);
            return new StoredCredential(
                name,
                secret.Id.ToString(),
                secret.Value,
                secret.Properties.ExpiresOn ?? DateTimeOffset.MaxValue,
                secret.Properties.Tags.TryGetValue(AppliedTag, out var applied) && applied == "true");
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    public async Task<string> PutAsync(string name, string value, DateTimeOffset expiresOn, IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken = default)
    {
        var secret = new KeyVaultSecret(name, value);
        secret.Properties.ExpiresOn = expiresOn;
        secret.Properties.ContentType = "text/plain; temporary password";
        foreach (var (key, tagValue) in tags)
        {
            secret.Properties.Tags[key] = tagValue;
        }

        KeyVaultSecret stored = await client.SetSecretAsync(secret, cancellationToken);
        return stored.Id.ToString();
    }

    public async Task MarkAppliedAsync(string name, CancellationToken cancellationToken = default)
    {
        KeyVaultSecret secret = await client.GetSecretAsync(name, cancellationToken: cancellationToken);
        secret.Properties.Tags[AppliedTag] = "true";
        await client.UpdateSecretPropertiesAsync(secret.Properties, cancellationToken);
    }
}
