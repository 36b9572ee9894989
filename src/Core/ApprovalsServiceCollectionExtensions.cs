using Approvals.Core.Actions;
using Approvals.Core.Http;
using Approvals.Core.Identity;
using Approvals.Core.Indent;
using Approvals.Core.Secrets;
using Approvals.Core.Webhooks;
using Approvals.Core.Workflow;
using Azure.Identity;
using Azure.Security.KeyVault.Secrets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Polly;
using Approvals.Core.Settings;

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
        // Read now, not later: which secret provider to register depends on it. A bad value stops the host here.
        var azure = Settings.Settings.Read<AzureOptions>(configuration);
        services.AddSecrets(azure);
        services.AddIndentClient(configureIndent);
        services.AddSettings<WorkflowOptions>();
        services.AddSettings<AccessOptions>();
        services.AddSettings<ApiOptions>();
        services.AddSettings<People.FourEyesOptions>();
        services.TryAddTransient<People.ApproverResolver>();
        services.AddApprovalsAuthentication();
        services.AddIndentWebhook();
        services.TryAddSingleton<IApprovalHistorySource, ClientApprovalHistorySource>();
        services.TryAddTransient<ApprovalsApi>();
        services.TryAddTransient<PasswordResetService>();
        services.AddApprovalsActivities();
        services.AddSensitiveActions();
        services.AddSettings<ReconcileOptions>();
        services.TryAddSingleton<AccessLedger>();
        services.TryAddTransient<ActionRunner>();
        services.TryAddSingleton<ActionFence>(); // its store is the host's: a table beside the task hub's, or in memory
        services.TryAddTransient<AccessReconciler>();
        return services;
    }

    /// <summary>Where secrets come from: Key Vault when <c>KEY_VAULT_URI</c> is set, else configuration.</summary>
    internal static IServiceCollection AddSecrets(this IServiceCollection services, AzureOptions azure)
    {
        services.AddSettings<AzureOptions>();
        if (azure.KeyVaultUri is { } vaultUri)
        {
            // One credential for every Azure client (secrets vault, credentials vault, Graph): one token cache.
            services.TryAddSingleton<Azure.Core.TokenCredential>(_ => new DefaultAzureCredential());
            services.TryAddSingleton(sp => new SecretClient(vaultUri, sp.GetRequiredService<Azure.Core.TokenCredential>()));
            services.TryAddSingleton<ISecretProvider, KeyVaultSecretProvider>();
        }
        else
        {
            services.TryAddSingleton<ISecretProvider, ConfigurationSecretProvider>();
        }

        return services;
    }

    /// <summary>The Indent webhook endpoint and what it needs: the v0 verifier, its timestamp window, secrets readiness.</summary>
    internal static IServiceCollection AddIndentWebhook(this IServiceCollection services)
    {
        services.AddSettings<WebhookOptions>();
        services.TryAddSingleton(sp => new IndentWebhookVerifier(sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IOptions<WebhookOptions>>().Value.Tolerance));
        services.TryAddSingleton<SecretsReadiness>();
        services.TryAddTransient<IndentWebhookEndpoint>();
        return services;
    }

    /// <summary>The access ledger and the action fence as tables in the task hub's storage account
    /// (<see cref="AccessLedgerOptions"/>): the Functions app's, with the app's managed identity when the storage connection
    /// is identity-based. A missing setting fails the app at start, naming it.</summary>
    public static IServiceCollection AddTableAccessLedger(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = Settings.Settings.Read<AccessLedgerOptions>(configuration);
        Azure.Data.Tables.TableClient Table(string name) => options.ConnectionString is { } connection
            ? new Azure.Data.Tables.TableClient(connection, name)
            : new Azure.Data.Tables.TableClient(options.TableServiceUri!, name, new ManagedIdentityCredential(options.ClientId is { } id ? ManagedIdentityId.FromUserAssignedClientId(id) : ManagedIdentityId.SystemAssigned));
        services.TryAddSingleton<IAccessLedgerStore>(_ => new TableAccessLedgerStore(Table(TableAccessLedgerStore.TableNameFor(options.TaskHub))));
        services.TryAddSingleton<IActionFenceStore>(_ => new TableActionFenceStore(Table(TableActionFenceStore.TableNameFor(options.TaskHub))));
        return services;
    }

    /// <summary>Fails the host at start when a required secret is missing (the local host: its secrets are generated or
    /// given on the command line, so a missing one is a mistake to stop at). The Functions app does not: it answers 503
    /// until its secrets exist (<see cref="SecretsReadiness"/>).</summary>
    public static IServiceCollection AddRequiredSecretsCheck(this IServiceCollection services) =>
        services.AddHostedService<RequiredSecretsCheck>();

    /// <summary>The Azure password reset: Microsoft Graph for the user, Key Vault for the temporary credential.
    /// Requires <c>KEY_VAULT_URI</c>; fails at start naming it when missing.</summary>
    public static IServiceCollection AddEntraPasswordReset(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var azure = Settings.Settings.Read<AzureOptions>(configuration);
        var vaultUri = azure.CredentialsVaultUri
            ?? throw new SettingsException([$"{AzureOptions.CredentialsVaultUriSetting} (or {KeyVaultSecretProvider.VaultUriSetting}) is not set: the password reset stores temporary credentials in Key Vault (e.g. https://kv-apc-approvals.vault.azure.net/)."]);
        services.TryAddKeyedSingleton(KeyVaultCredentialStore.ClientKey, (sp, _) => new SecretClient(vaultUri, sp.GetRequiredService<Azure.Core.TokenCredential>()));
        services.TryAddSingleton<ICredentialStore, KeyVaultCredentialStore>();
        services.TryAddSingleton<Azure.Core.TokenCredential>(_ => new DefaultAzureCredential());
        return services.AddEntraDirectory(azure.GraphBaseUrl);
    }

    /// <summary>Users and groups through Microsoft Graph at <paramref name="graphBaseUrl"/> — Entra's in Azure, the local
    /// Graph on a laptop: one client per port, each with the one Graph pipeline (<see cref="GraphResilience"/>: a write is
    /// sent again only after Graph's 429 or 503, each wait per Retry-After, and only while it fits in the call's time).
    /// The token comes from the registered <see cref="Azure.Core.TokenCredential"/>.</summary>
    public static IServiceCollection AddEntraDirectory(this IServiceCollection services, Uri graphBaseUrl)
    {
        ArgumentNullException.ThrowIfNull(graphBaseUrl);
        // The password PATCH: after a timeout or another failure it may have landed, and the reset's own retry decides
        // from lastPasswordChangeDateTime instead of writing again. Reads of the target in the start request are bounded
        // by the request's own budget (StartSequence).
        services.AddHttpClient<IUserDirectory, EntraUserDirectory>(http => http.BaseAddress = graphBaseUrl)
            .AddGraphResilience(GraphResilience.ActivityTimeout);
        // A membership add or removal that may have landed is decided by the access ledger from what it recorded
        // (AccessLedger.AddAsync); a retry here would hear "already a member" for our own write. The membership check
        // (checkMemberGroups, a POST that only reads) is retried as a read.
        services.AddHttpClient<IGroupMembership, EntraGroupMembership>(http => http.BaseAddress = graphBaseUrl)
            .AddGraphResilience(GraphResilience.ActivityTimeout, request => request.Method == HttpMethod.Get || request.Method == HttpMethod.Head
                || request.RequestUri?.AbsolutePath.EndsWith("/checkMemberGroups", StringComparison.Ordinal) == true);
        // Actions' own Graph calls (ActionCatalog).
        services.AddHttpClient(Actions.ActionCatalog.GraphClient, http => http.BaseAddress = graphBaseUrl)
            .AddGraphResilience(GraphResilience.ActivityTimeout);
        // People: resolved while a request waits (the caller, the target) and in the verify (the approver): reads only.
        services.AddHttpClient<People.IPeopleDirectory, EntraUserDirectory>(http => http.BaseAddress = graphBaseUrl)
            .AddGraphResilience(GraphResilience.RequestPathTimeout);
        return services;
    }
}
