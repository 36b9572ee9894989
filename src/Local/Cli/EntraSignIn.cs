using Azure.Core;
using Azure.Identity;

namespace Approvals.Local.Cli;

/// <summary>How the CLI signs in to Microsoft Entra ID for a deployed API (<c>--api https://…</c>) when no token is given:
/// the Azure CLI's sign-in first, a device code as the fallback, for the API's delegated scope.
/// <list type="bullet">
/// <item><see cref="ChainedTokenCredential"/> tries its credentials "in order until one of the GetToken methods returns a
/// non-default AccessToken" (https://learn.microsoft.com/dotnet/api/azure.identity.chainedtokencredential); a credential
/// that "did not attempt to authenticate … as its prerequisite information or state was not available" throws
/// <see cref="CredentialUnavailableException"/>
/// (https://learn.microsoft.com/dotnet/api/azure.identity.credentialunavailableexception) — no <c>az</c>, or nobody
/// signed in to it — and the chain moves on.</item>
/// <item><see cref="AzureCliCredential"/> "Enables authentication to Microsoft Entra ID using Azure CLI to obtain an
/// access token" (https://learn.microsoft.com/dotnet/api/azure.identity.azureclicredential): whoever <c>az login</c>
/// signed in.</item>
/// <item><see cref="DeviceCodeCredential"/> shows its sign-in instructions through
/// <see cref="DeviceCodeCredentialOptions.DeviceCodeCallback"/>, "The callback which will be executed to display the
/// device code login details to the user"
/// (https://learn.microsoft.com/dotnet/api/azure.identity.devicecodecredentialoptions.devicecodecallback); here on
/// standard error, so standard output keeps only the command's own lines. It signs in as the Azure CLI's application,
/// the client <c>infra/scripts/register-api.sh</c> pre-authorizes for the scope and <c>APPROVALS_AUTH_CLIENTS</c> accepts
/// by default, so a device-code token is accepted exactly as an <c>az</c> one is.</item>
/// </list></summary>
public static class EntraSignIn
{
    /// <summary>The scope to ask for, when <c>--scope</c> is not given.</summary>
    public const string ScopeVariable = "APPROVALS_API_SCOPE";

    /// <summary>The API's application (client) id — the name <c>register-api.sh</c> stores it under in the azd
    /// environment — from which the scope is derived when neither <c>--scope</c> nor <see cref="ScopeVariable"/> is set.</summary>
    public const string ClientIdVariable = "APPROVALS_API_CLIENT_ID";

    /// <summary>The tenant the device code signs in to (Azure.Identity's own variable); unset, the account's home tenant.</summary>
    public const string TenantVariable = "AZURE_TENANT_ID";

    /// <summary>The Azure CLI's application id (Microsoft's first-party applications; docs/DEPLOY.md, step 0).</summary>
    public const string AzureCliClientId = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";

    /// <summary>The delegated scope <c>register-api.sh</c> defines on the API's registration.</summary>
    public const string ScopeName = "access_as_user";

    /// <summary>The scope of the API registered with <paramref name="clientId"/>: its identifier URI
    /// (<c>api://&lt;client id&gt;</c>, as <c>register-api.sh</c> sets it) and <see cref="ScopeName"/>.</summary>
    public static string ScopeFor(string clientId) => $"api://{clientId.Trim()}/{ScopeName}";

    /// <summary>The scope from <c>--scope</c>, else <see cref="ScopeVariable"/>, else derived from
    /// <see cref="ClientIdVariable"/>; null when none is set.</summary>
    public static string? Scope(string? option, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        if (!string.IsNullOrWhiteSpace(option))
        {
            return option.Trim();
        }

        if (environment(ScopeVariable) is { Length: > 0 } scope && !string.IsNullOrWhiteSpace(scope))
        {
            return scope.Trim();
        }

        return environment(ClientIdVariable) is { Length: > 0 } id && !string.IsNullOrWhiteSpace(id) ? ScopeFor(id) : null;
    }

    /// <summary>The Azure CLI's sign-in, then a device code whose instructions go to <paramref name="error"/>.</summary>
    public static TokenCredential Credential(TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(error);
        var tenant = Environment.GetEnvironmentVariable(TenantVariable) is { Length: > 0 } t ? t : null;
        return new ChainedTokenCredential(
            new AzureCliCredential(),
            new DeviceCodeCredential(new DeviceCodeCredentialOptions
            {
                ClientId = AzureCliClientId,
                TenantId = tenant,
                DeviceCodeCallback = async (info, cancellationToken) =>
                {
                    // The message names the sign-in page and the one-time code to enter there; no token.
                    await error.WriteLineAsync("Not signed in to the Azure CLI (az login); signing in with a device code instead:");
                    await error.WriteLineAsync(info.Message);
                    await error.FlushAsync(cancellationToken);
                },
            }));
    }
}
