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
        KeyVaultSecretProvider.VaultUriSetting,
        EntraUserDirectory.GraphBaseUrlSetting,
        WorkflowOptions.PollInitialSetting,
        WorkflowOptions.PollMaxSetting,
        WorkflowOptions.DefaultDeadlineSetting,
        WorkflowOptions.MaxDeadlineSetting,
        Storage,
        TaskHub,
    ];
}
