using Approvals.Core.Settings;

namespace Approvals.Core.Identity;

/// <summary>Who may call the API: bearer tokens from one OpenID Connect issuer (Microsoft Entra ID in Azure, the local
/// host's own issuer on a laptop), for one API (its audiences).</summary>
public sealed class AuthOptions : SettingsOptions
{
    public const string AuthoritySetting = "APPROVALS_AUTH_AUTHORITY";
    public const string AudienceSetting = "APPROVALS_AUTH_AUDIENCE";
    public const string ClientsSetting = "APPROVALS_AUTH_CLIENTS";

    /// <summary>The Azure CLI's application id, the same in every tenant: <c>az account get-access-token</c> gets its tokens
    /// as this client (Microsoft's list of first-party apps, https://learn.microsoft.com/en-us/troubleshoot/azure/active-directory/verify-first-party-apps-sign-in).</summary>
    public const string AzureCliClientId = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";

    /// <summary>The issuer's root: its OIDC metadata is at <c>{authority}/.well-known/openid-configuration</c>
    /// (Entra: <c>https://login.microsoftonline.com/{tenant-id}/v2.0</c>). https, except on loopback.</summary>
    public Uri? Authority { get; set; }

    /// <summary>The token audiences this API accepts: the app registration's client id and/or its identifier URI.</summary>
    public IReadOnlyList<string> Audiences { get; set; } = [];

    /// <summary>The client applications whose tokens the API accepts (the token's <c>azp</c>, or <c>appid</c> in a v1.0
    /// token): <c>APPROVALS_AUTH_CLIENTS</c>, else the Azure CLI and the API's own app (each audience that is a client id,
    /// bare or as <c>api://{id}</c>). Any other app a user consented to is refused, whatever its token says.</summary>
    public IReadOnlyList<string> Clients { get; set; } = [];

    /// <summary>Metadata over plain http is allowed only from this machine (the local issuer).</summary>
    public bool RequireHttpsMetadata => Authority is not { IsLoopback: true };

    protected override void Read(SettingReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        const string example = "https://login.microsoftonline.com/<tenant-id>/v2.0";
        Authority = reader.AbsoluteUrl(AuthoritySetting, null, httpsOnly: false, example);
        if (reader.Text(AuthoritySetting) is null)
        {
            reader.Problem($"{AuthoritySetting} is not set: the API validates callers' bearer tokens against this issuer (for example {example}; docs/DEPLOY.md, step 4).");
        }
        else if (Authority is { Scheme: "http", IsLoopback: false })
        {
            reader.Problem($"{AuthoritySetting} must be an https URL (plain http only on loopback), such as {example}.");
            Authority = null;
        }

        Audiences = Secrets.SecretLists.Split(reader.Text(AudienceSetting));
        if (Audiences.Count == 0)
        {
            reader.Problem($"{AudienceSetting} is not set: name the API's app registration (its client id and/or identifier URI such as api://approvals), comma-separated.");
        }

        Clients = Secrets.SecretLists.Split(reader.Text(ClientsSetting));
        if (Clients.Count == 0)
        {
            Clients = [AzureCliClientId, .. Audiences.Select(OwnClientId).OfType<string>().Distinct(StringComparer.OrdinalIgnoreCase)];
        }
    }

    /// <summary>The client id an audience names: itself when it is a GUID, or the GUID in <c>api://{id}</c>.</summary>
    static string? OwnClientId(string audience)
    {
        var id = audience.StartsWith("api://", StringComparison.OrdinalIgnoreCase) ? audience["api://".Length..].TrimEnd('/') : audience;
        return Guid.TryParse(id, out var guid) ? guid.ToString("D") : null;
    }
}
