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
    /// verified answer: returns the <see cref="ApprovalGrant"/> when another directory person granted it, and otherwise
    /// THROWS <see cref="ApprovalRefusedException"/> (its <see cref="ApprovalRefusedException.Reason"/>: Denied, Revoked,
    /// Expired, Cancelled or Failed), so that code after the call runs only on a grant. Use
    /// <see cref="TryRequestApprovalAsync"/> to branch on the result instead. Runs <see cref="ApprovalStepOrchestrator"/>
    /// as a sub-orchestration under <paramref name="instanceId"/> (default: <see cref="ApprovalStep.NewInstanceId"/>);
    /// raise <see cref="ApprovalEvents.Cancel"/> on that instance to withdraw the request.</summary>
    /// <param name="context">The calling orchestration.</param>
    /// <param name="request">What to approve, built deterministically.</param>
    /// <param name="instanceId">The step's instance id, to show or cancel it: best <see cref="ApprovalStep.NewInstanceId"/>
    /// made before the call. An id of your own must have the shape <see cref="ApprovalIds.IsValid"/> accepts; reusing one
    /// never reuses an earlier request's decision (a new petition is asked for; see
    /// <see cref="CreatePetitionActivity"/>), but give each request its own id: the durable engine runs one instance per id.</param>
    public static async Task<ApprovalGrant> RequestApprovalAsync(this TaskOrchestrationContext context, ApprovalRequest request, string? instanceId = null)
    {
        var result = await context.TryRequestApprovalAsync(request, instanceId);
        return result is { Grant: { } grant, Refusal: null }
            ? grant
            : throw new ApprovalRefusedException(result.Refusal!);
    }

    /// <summary><see cref="RequestApprovalAsync"/> for a caller that branches: never throws for a refusal; returns exactly
    /// one of <see cref="ApprovalStepResult.Grant"/> (act) and <see cref="ApprovalStepResult.Refusal"/> (do not). A step that
    /// failed as an orchestration (a task not registered, a fault) is a <see cref="ApprovalRefusalReason.Failed"/> refusal.
    /// Throws <see cref="ArgumentException"/>, before anything runs, for a request the step cannot run.</summary>
    public static async Task<ApprovalStepResult> TryRequestApprovalAsync(this TaskOrchestrationContext context, ApprovalRequest request, string? instanceId = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        var input = ApprovalStep.CreateInput(context, request);
        var id = instanceId ?? ApprovalStep.NewInstanceId(context);
        if (!ApprovalIds.IsValid(id))
        {
            throw new ArgumentException($"'{id}' is not an instance id the webhook route can find (use ApprovalStep.NewInstanceId).", nameof(instanceId));
        }

        ApprovalStepResult? result;
        try
        {
            result = await context.CallSubOrchestratorAsync<ApprovalStepResult>(nameof(ApprovalStepOrchestrator), input, new SubOrchestrationOptions { InstanceId = id });
        }
        catch (TaskFailedException e)
        {
            // The step itself failed (Durable Task surfaces a sub-orchestration's failure as TaskFailedException): no grant.
            return Failed(id, "the approval step failed: " + ApprovalOrchestrator.Describe(e));
        }

        return result switch
        {
            { Refusal: { } refusal } => new ApprovalStepResult(null, refusal),
            { Grant: not null } => result,
            _ => Failed(id, "the approval step returned neither a grant nor a refusal"),
        };
    }

    static ApprovalStepResult Failed(string id, string detail) =>
        new(null, new ApprovalRefusal(id, ApprovalRefusalReason.Failed, detail, null, null));

    /// <summary>The step's orchestrator and the activities it calls, under their class names (a Durable Functions app binds
    /// a <c>[Function]</c> of the same name to each instead: see the KeyRotation sample).</summary>
    public static readonly IReadOnlyList<Type> Tasks = [typeof(ApprovalStepOrchestrator), typeof(ResolveRequesterActivity), typeof(CreatePetitionActivity), typeof(GetPetitionActivity), typeof(ClosePetitionActivity)];

    /// <summary>Registers <see cref="Tasks"/> on a durable worker.</summary>
    public static DurableTaskRegistry AddApprovalStep(this DurableTaskRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.AddOrchestrator<ApprovalStepOrchestrator>();
        registry.AddActivity<ResolveRequesterActivity>();
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
    /// Settings are validated at start; a bad one stops the app naming it, and so does a missing <c>INDENT_API_TOKEN</c> or
    /// <c>APPROVALS_SEAL_KEY</c> (read where the step reads them: settings, or Key Vault), never printing a value.</summary>
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
        services.AddHostedService<ApprovalStepSecretsCheck>();
        services.TryAddTransient<ResolveRequesterActivity>();
        services.TryAddTransient<CreatePetitionActivity>();
        services.TryAddTransient<GetPetitionActivity>();
        services.TryAddTransient<ClosePetitionActivity>();
        return services;
    }
}
