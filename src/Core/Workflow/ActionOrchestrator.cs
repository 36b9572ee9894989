using Approvals.Core.Actions;
using Microsoft.DurableTask;

namespace Approvals.Core.Workflow;

/// <summary>The workflow of every action written on the contract (<see cref="ISensitiveAction"/>, listed in
/// <see cref="ActionCatalog"/>): <see cref="ApprovalRun"/>'s petition, wait, verify and four eyes, then the action. On the
/// fast path the read that finds the grant is also the action (<see cref="VerifyAndActActivity"/>: one activity from the
/// webhook to the act); when that attempt fails, <see cref="ApprovalRun.AttemptAsync"/> retries it through
/// <see cref="RunActionActivity"/>, re-reading the grant before each retry. A cancel that claimed the approval's fence first
/// (<see cref="ActionFence"/>) ends it <c>cancelled</c> with nothing done. Nothing here knows an action's name. A time-boxed action
/// (<see cref="ITimeBoxedAction"/>) takes <see cref="TimeBoxedRun"/>'s phase instead (its act claims the fence too).</summary>
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
        VerifiedAction? onRead;

        protected override bool ActedOnRead => onRead is { Outcome: not null } or { Error: not null };

        RunActionInput Act() => new(Context.InstanceId, Input.Action, Input.UserId, PetitionName!, Input.Parameters, Input.RequestedAt);

        protected override async Task<PetitionSnapshot?> ReadForDecisionAsync(bool mayAct)
        {
            onRead = null;
            if (!mayAct)
            {
                return await ReadAsync();
            }

            try
            {
                onRead = await Context.CallActivityAsync<VerifiedAction>(
                    nameof(VerifyAndActActivity), new VerifyAndActInput(ReadInput(), Act(), Input.RequestedBy, Input.Target), ApprovalOrchestrator.IndentRetry);
                return onRead.Petition;
            }
            catch (TaskFailedException)
            {
                return null; // Indent unreachable for longer than the retries: not a decision, and nothing was done.
            }
        }

        protected override async Task<ApprovalResult> ActAsync(PetitionSnapshot granted)
        {
            var how = FourEyes.Describe(granted);
            ApprovalResult Done(ActionOutcome outcome) =>
                Finish(ApprovalStatuses.Completed, granted.DecidedBy, outcome.Summary + (how is null ? "" : "; " + how), outcome: outcome);

            if (onRead is { Outcome: { } done })
            {
                return Done(done);
            }

            if (onRead is { CancelledFirst: true })
            {
                return await CancelledBeforeActionAsync(granted.DecidedBy);
            }

            var title = ActionCatalog.Find(Input.Action)?.Title ?? Input.Action;
            if (onRead is { Error: { } error, Permanent: true })
            {
                return Finish(ApprovalStatuses.Failed, granted.DecidedBy, $"the {title} failed: " + error);
            }

            ActionOutcome? outcome = null;
            var failed = await AttemptAsync(
                granted.DecidedBy,
                "the " + title,
                async () => outcome = await Context.CallActivityAsync<ActionOutcome>(nameof(RunActionActivity), Act(), ApprovalOrchestrator.ActionRetry),
                firstAttempt: onRead?.Error is null ? 1 : 2,
                lastError: onRead?.Error);
            return failed ?? Done(outcome!);
        }
    }
}
