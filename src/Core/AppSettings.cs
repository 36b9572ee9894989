using Approvals.Core.Actions;
using Approvals.Core.Indent;
using Approvals.Core.Secrets;
using Approvals.Core.Webhooks;
using Approvals.Core.Workflow;

namespace Approvals.Core;

/// <summary>Every app setting the Functions app reads, by the name the code, host.json and the Bicep template use.</summary>
public static class AppSettings
{
    public const string Storage = "AzureWebJobsStorage";
    public const string TaskHub = "TASKHUB_NAME";

    public static readonly IReadOnlyList<string> All =
    [
        IndentOptions.SpaceSetting,
        IndentOptions.BaseUrlSetting,
        IndentOptions.TokenSetting,
        IndentWebhookEndpoint.SecretSetting,
        Workflow.PetitionSeal.KeySetting,
        KeyVaultSecretProvider.VaultUriSetting,
        AzureOptions.CredentialsVaultUriSetting,
        EntraUserDirectory.GraphBaseUrlSetting,
        WorkflowOptions.PollInitialSetting,
        WorkflowOptions.PollMaxSetting,
        WorkflowOptions.DefaultDeadlineSetting,
        WorkflowOptions.MaxDeadlineSetting,
        IndentWebhookVerifier.ToleranceSetting,
        AccessOptions.GroupsSetting,
        AccessOptions.MinSecondsSetting,
        AccessOptions.MaxSecondsSetting,
        AccessOptions.DefaultSecondsSetting,
        ReconcileOptions.ScheduleSetting,
        Identity.AuthOptions.AuthoritySetting,
        Identity.AuthOptions.AudienceSetting,
        Identity.AuthOptions.ClientsSetting,
        People.FourEyesOptions.AutoApproversSetting,
        Storage,
        TaskHub,
    ];

    /// <summary>Read when set, and left unset by the template: the public root for returned links, for an operator who
    /// puts a front door or custom domain before the app (the worker otherwise sees the request's own host).</summary>
    public static readonly IReadOnlyList<string> Optional = [Http.ApiOptions.PublicBaseUrlSetting];

    /// <summary>Read from Key Vault in Azure (<c>KEY_VAULT_URI</c> is set there), so the template never sets them.</summary>
    public static readonly IReadOnlyList<string> KeyVaultBacked = [IndentOptions.TokenSetting, IndentWebhookEndpoint.SecretSetting, Workflow.PetitionSeal.KeySetting];

    /// <summary>Settings the template sets for the platform rather than for our code, and who reads them.</summary>
    public static readonly IReadOnlyDictionary<string, string> Platform = new Dictionary<string, string>
    {
        ["AzureWebJobsStorage__credential"] = "Functions host: identity-based AzureWebJobsStorage",
        ["AzureWebJobsStorage__clientId"] = "Functions host and the access ledger: which managed identity",
        ["AzureWebJobsStorage__blobServiceUri"] = "Functions host and Durable Functions: blobs",
        ["AzureWebJobsStorage__queueServiceUri"] = "Durable Functions: control and work-item queues",
        ["AzureWebJobsStorage__tableServiceUri"] = "Durable Functions: history and instances tables; the access ledger's table",
        ["APPLICATIONINSIGHTS_CONNECTION_STRING"] = "Functions host and the worker's OpenTelemetry exporter: telemetry endpoint (no key: local auth is off)",
        ["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"] = "Functions host: Entra-authenticated telemetry",
        ["AZURE_CLIENT_ID"] = "Azure.Identity DefaultAzureCredential: the user-assigned identity",
        ["AzureFunctionsJobHost__extensions__durableTask__storageProvider__maxQueuePollingInterval"] = "Functions host: host.json's maxQueuePollingInterval (the longest idle queue poll), overridden per deployment",
    };
}
