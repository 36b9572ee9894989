using Approvals.Core.Indent;
using Approvals.Core.Settings;
using Approvals.Core.Workflow;
using Microsoft.DurableTask;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Approvals.Core.Step;

/// <summary>The approval step in another Durable Functions (isolated worker) or Durable Task app: the call its
/// orchestrator makes, the tasks its worker registers and the services those tasks need.</summary>
public static class ApprovalStepExtensions
{
    /// <summary>Asks a human to approve <paramref name="request"/> and waits (durably, for as long as its deadline) for the
    /// verified answer: <see cref="ApprovalStepResult.Grant"/> when another directory person granted it, else the
    /// <see cref="ApprovalStepResult.Refusal"/>. Runs <see cref="ApprovalStepOrchestrator"/> as a sub-orchestration under
    /// <paramref name="instanceId"/> (default: <see cref="ApprovalStep.NewInstanceId"/>); raise
    /// <see cref="ApprovalEvents.Cancel"/> on that instance to withdraw the request.</summary>
    public static Task<ApprovalStepResult> RequestApprovalAsync(this TaskOrchestrationContext context, ApprovalRequest request, string? instanceId = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        var input = ApprovalStep.CreateInput(context, request);
        var id = instanceId ?? ApprovalStep.NewInstanceId(context);
        if (!ApprovalIds.IsValid(id))
        {
            throw new ArgumentException($"'{id}' is not an instance id the webhook route can find (use ApprovalStep.NewInstanceId).", nameof(instanceId));
        }

        return context.CallSubOrchestratorAsync<ApprovalStepResult>(nameof(ApprovalStepOrchestrator), input, new SubOrchestrationOptions { InstanceId = id });
    }

    /// <summary>The step's orchestrator and the activities it calls, under their class names (a Durable Functions app binds
    /// a <c>[Function]</c> of the same name to each instead: see the KeyRotation sample).</summary>
    public static readonly IReadOnlyList<Type> Tasks = [typeof(ApprovalStepOrchestrator), typeof(CreatePetitionActivity), typeof(GetPetitionActivity), typeof(ClosePetitionActivity)];

    /// <summary>Registers <see cref="Tasks"/> on a durable worker.</summary>
    public static DurableTaskRegistry AddApprovalStep(this DurableTaskRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.AddOrchestrator<ApprovalStepOrchestrator>();
        registry.AddActivity<CreatePetitionActivity>();
        registry.AddActivity<GetPetitionActivity>();
        registry.AddActivity<ClosePetitionActivity>();
        return registry;
    }

    /// <summary>What the step's activities need, from flat settings as the Approvals app reads them: the Indent client
    /// (<c>INDENT_BASE_URL</c>, <c>INDENT_SPACE</c>, <c>INDENT_API_TOKEN</c>), the petition seal key
    /// (<c>APPROVALS_SEAL_KEY</c>), secrets from Key Vault when <c>KEY_VAULT_URI</c> is set, the directory people are
    /// resolved in (Microsoft Graph at <c>GRAPH_BASE_URL</c> with the registered <see cref="Azure.Core.TokenCredential"/>,
    /// <c>DefaultAzureCredential</c> unless the app registered one), <c>APPROVALS_AUTO_APPROVERS</c>, and the Indent webhook
    /// endpoint (<see cref="Webhooks.IndentWebhookEndpoint"/>, <c>INDENT_WEBHOOK_SECRET</c>) for an app that maps it.
    /// Settings are validated at start; a bad one stops the app naming it.</summary>
    public static IServiceCollection AddApprovalStep(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.TryAddSingleton(TimeProvider.System);
        var azure = Settings.Settings.Read<AzureOptions>(configuration);
        services.AddSecrets(azure);
        services.AddIndentClient();
        services.AddSettings<People.FourEyesOptions>();
        services.TryAddTransient<People.ApproverResolver>();
        services.TryAddSingleton<Azure.Core.TokenCredential>(_ => new Azure.Identity.DefaultAzureCredential());
        services.AddEntraDirectory(azure.GraphBaseUrl);
        services.AddIndentWebhook();
        services.TryAddTransient<CreatePetitionActivity>();
        services.TryAddTransient<GetPetitionActivity>();
        services.TryAddTransient<ClosePetitionActivity>();
        return services;
    }
}
