using Approvals.Core.Actions;
using Approvals.Core.Http;
using Approvals.Core.Indent;
using Approvals.Core.Secrets;
using Approvals.Core.Webhooks;
using Approvals.Core.Workflow;
using Azure.Identity;
using Azure.Security.KeyVault.Secrets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Approvals.Core;

/// <summary>What both hosts register: the Indent client, secrets, the workflow's activities, the HTTP API and the webhook.</summary>
public static class ApprovalsServiceCollectionExtensions
{
    /// <summary>Adds everything host-independent. Secrets come from Key Vault when <c>KEY_VAULT_URI</c> is set,
    /// else from configuration. The password-reset ports (<see cref="IUserDirectory"/>, <see cref="ICredentialStore"/>)
    /// are the host's choice: <see cref="AddEntraPasswordReset"/> in Azure, local stand-ins on a laptop.</summary>
    public static IServiceCollection AddApprovalsCore(this IServiceCollection services, IConfiguration configuration, Action<IndentOptions>? configureIndent = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.TryAddSingleton(TimeProvider.System);
        var vaultUri = KeyVaultUri(configuration, required: false);
        if (vaultUri is not null)
        {
            services.TryAddSingleton(new SecretClient(vaultUri, new DefaultAzureCredential()));
            services.TryAddSingleton<ISecretProvider, KeyVaultSecretProvider>();
        }
        else
        {
            services.TryAddSingleton<ISecretProvider, ConfigurationSecretProvider>();
        }

        services.AddIndentClient(configureIndent);
        services.TryAddSingleton(_ => WorkflowOptions.FromConfiguration(configuration));
        services.TryAddSingleton(sp => new IndentWebhookVerifier(sp.GetRequiredService<TimeProvider>(), WebhookTolerance(configuration)));
        services.TryAddSingleton<IApprovalHistorySource, ClientApprovalHistorySource>();
        services.TryAddTransient<ApprovalsApi>();
        services.TryAddTransient<IndentWebhookEndpoint>();
        services.TryAddTransient<PasswordResetService>();
        services.TryAddTransient<CreatePetitionActivity>();
        services.TryAddTransient<GetPetitionActivity>();
        services.TryAddTransient<ClosePetitionActivity>();
        services.TryAddTransient<ResetPasswordActivity>();
        services.AddHostedService<RequiredSecretsCheck>();
        return services;
    }

    /// <summary>The Azure password reset: Microsoft Graph for the user, Key Vault for the temporary credential.
    /// Requires <c>KEY_VAULT_URI</c>; fails at start naming it when missing.</summary>
    public static IServiceCollection AddEntraPasswordReset(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var vaultUri = KeyVaultUri(configuration, required: true)!;
        services.TryAddSingleton(new SecretClient(vaultUri, new DefaultAzureCredential()));
        services.TryAddSingleton<ICredentialStore, KeyVaultCredentialStore>();
        var graphBase = configuration[EntraUserDirectory.GraphBaseUrlSetting] is { Length: > 0 } g ? new Uri(g.TrimEnd('/') + "/") : EntraUserDirectory.DefaultGraphBaseUrl;
        services.TryAddSingleton<Azure.Core.TokenCredential>(new DefaultAzureCredential());
        services.AddHttpClient<IUserDirectory, EntraUserDirectory>(http => http.BaseAddress = graphBase).AddStandardResilienceHandler();
        return services;
    }

    /// <summary>The signature timestamp window, <c>APPROVALS_WEBHOOK_TOLERANCE_SECONDS</c> (1 to 900; default 300).</summary>
    static TimeSpan WebhookTolerance(IConfiguration configuration)
    {
        var text = configuration[IndentWebhookVerifier.ToleranceSetting];
        if (string.IsNullOrWhiteSpace(text))
        {
            return IndentWebhookVerifier.DefaultTolerance;
        }

        return int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds) && seconds is >= 1 and <= 900
            ? TimeSpan.FromSeconds(seconds)
            : throw new InvalidOperationException($"{IndentWebhookVerifier.ToleranceSetting} must be a whole number of seconds from 1 to 900.");
    }

    static Uri? KeyVaultUri(IConfiguration configuration, bool required)
    {
        var text = configuration[KeyVaultSecretProvider.VaultUriSetting];
        if (string.IsNullOrWhiteSpace(text))
        {
            return required
                ? throw new InvalidOperationException($"{KeyVaultSecretProvider.VaultUriSetting} is not set: the password reset stores temporary credentials in Key Vault (e.g. https://kv-approvals.vault.azure.net/).")
                : null;
        }

        return Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps
            ? uri
            : throw new InvalidOperationException($"{KeyVaultSecretProvider.VaultUriSetting} must be an https URL such as https://kv-approvals.vault.azure.net/.");
    }
}
