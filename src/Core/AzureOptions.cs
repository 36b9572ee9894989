using Approvals.Core.Actions;
using Approvals.Core.Secrets;
using Approvals.Core.Settings;

namespace Approvals.Core;

/// <summary>Where Azure's services are: Key Vault (secrets and temporary credentials) and Microsoft Graph.</summary>
public sealed class AzureOptions : SettingsOptions
{
    /// <summary><c>KEY_VAULT_URI</c>; <c>null</c> when unset (secrets then come from configuration).</summary>
    public Uri? KeyVaultUri { get; set; }

    public const string CredentialsVaultUriSetting = "CREDENTIALS_VAULT_URI";

    /// <summary><c>CREDENTIALS_VAULT_URI</c>: the vault temporary credentials are written to, apart from the Indent
    /// secrets; <c>KEY_VAULT_URI</c> when unset (a single-vault setup, as before).</summary>
    public Uri? CredentialsVaultUri { get; set; }

    /// <summary><c>GRAPH_BASE_URL</c>, ending in '/'; Microsoft Graph v1.0 by default (sovereign clouds override it).</summary>
    public Uri GraphBaseUrl { get; set; } = EntraUserDirectory.DefaultGraphBaseUrl;

    protected override void Read(SettingReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        KeyVaultUri = reader.AbsoluteUrl(KeyVaultSecretProvider.VaultUriSetting, null, httpsOnly: true, "https://kv-approvals.vault.azure.net/");
        CredentialsVaultUri = reader.AbsoluteUrl(CredentialsVaultUriSetting, KeyVaultUri, httpsOnly: true, "https://kv-apc-approvals.vault.azure.net/");
        // https, except a Graph on this machine (the local host's Microsoft Graph, as for the token issuer).
        var graph = reader.AbsoluteUrl(EntraUserDirectory.GraphBaseUrlSetting, GraphBaseUrl, httpsOnly: false, EntraUserDirectory.DefaultGraphBaseUrl.ToString(), asDirectory: true)!;
        if (graph is { Scheme: "http", IsLoopback: false })
        {
            reader.Problem($"{EntraUserDirectory.GraphBaseUrlSetting} must be an https URL (plain http only on loopback), such as {EntraUserDirectory.DefaultGraphBaseUrl}.");
        }
        else
        {
            GraphBaseUrl = graph;
        }
    }
}
