using Approvals.Core.Actions;
using Microsoft.DurableTask;

namespace Approvals.Core.Workflow;

/// <summary>The workflow of every action written on the contract (<see cref="ISensitiveAction"/>, listed in
/// <see cref="ActionCatalog"/>): <see cref="ApprovalRun"/>'s petition, wait, verify and four eyes, then the action through
/// <see cref="RunActionActivity"/>, with <see cref="ApprovalRun.AttemptAsync"/>'s retries (each re-reads the grant first).
/// Nothing here knows an action's name. A cancel that reaches the workflow before the action is scheduled wins. A
/// time-boxed action (<see cref="ITimeBoxedAction"/>) takes <see cref="TimeBoxedRun"/>'s phase instead.</summary>
public sealed class ActionOrchestrator : TaskOrchestrator<ApprovalInput, ApprovalResult>
{
    public override async Task<ApprovalResult> RunAsync(TaskOrchestrationContext context, ApprovalInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        WorkflowVersions.Require(context);
        return TimeBoxedRun.Applies(input) ? await new TimeBoxedRun(context, input).ExecuteAsync() : await new Run(context, input).ExecuteAsync();
    }

    sealed class Run(TaskOrchestrationContext context, ApprovalInput input) : ApprovalRun(context, input)
    {
        protected override async Task<ApprovalResult> ActAsync(PetitionSnapshot granted)
        {
            var title = ActionCatalog.Find(Input.Action)?.Title ?? Input.Action;
            ActionOutcome? outcome = null;
            var failed = await AttemptAsync(
                granted.DecidedBy,
                "the " + title,
                async () => outcome = await Context.CallActivityAsync<ActionOutcome>(
                    nameof(RunActionActivity),
                    new RunActionInput(Context.InstanceId, Input.Action, Input.UserId, PetitionName!, Input.Parameters, Input.RequestedAt),
                    ApprovalOrchestrator.ActionRetry));
            var how = FourEyes.Describe(granted);
            return failed ?? Finish(ApprovalStatuses.Completed, granted.DecidedBy, outcome!.Summary + (how is null ? "" : "; " + how), outcome: outcome);
        }
    }
}

/// <summary>Runs one action of the catalog by name, only after the orchestrator verified the grant. The action is
/// idempotent itself (it decides from the target system's own state); this records its duration and logs only the
/// reference of any secret.</summary>
public sealed class RunActionActivity(IServiceProvider services, Microsoft.Extensions.Logging.ILogger<RunActionActivity> logger) : TaskActivity<RunActionInput, ActionOutcome>
{
    public override async Task<ActionOutcome> RunAsync(TaskActivityContext context, RunActionInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (ActionCatalog.Find(input.Action) is null)
        {
            throw new PermanentActivityFailureException($"There is no action '{input.Action}' in this build.");
        }

        var action = ActionCatalog.Resolve(services, input.Action);
        using var span = Telemetry.ApprovalsTelemetry.Source.StartActivity("approvals.action." + input.Action);
        span?.SetTag("approvals.instance", input.InstanceId);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var result = "failed";
        try
        {
            var outcome = await action.ActAsync(new ActionRun(input.InstanceId, input.UserId, input.Parameters ?? ActionParameters.None, input.RequestedAt, ActionCatalog.CredentialName(input.Action, input.InstanceId)), CancellationToken.None);
            result = "done";
            Microsoft.Extensions.Logging.LoggerExtensions.LogInformation(logger, "Action {Action} done for {UserId}, approval {InstanceId} (petition {Petition}); credential stored as {Reference}", input.Action, input.UserId, input.InstanceId, input.PetitionName, outcome.CredentialReference);
            return outcome;
        }
        finally
        {
            Telemetry.ApprovalsTelemetry.ActionDuration.Record(
                System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds, new KeyValuePair<string, object?>("outcome", result), new KeyValuePair<string, object?>("action", input.Action));
        }
    }
}
