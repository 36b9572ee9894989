using Approvals.Core.Actions;
using Microsoft.DurableTask;

namespace Approvals.Core.Workflow;

/// <summary>The time-boxed phase of <see cref="ActionOrchestrator"/>, for an action that is an <see cref="ITimeBoxedAction"/>:
/// after <see cref="ApprovalRun"/>'s verified, four-eyes grant, the time box is Indent's — its grant time plus the asked
/// duration (<see cref="ActionDescription.DurationField"/>) or the approver's when shorter — and then: the grant is
/// recorded before the act (<see cref="PrepareActionActivity"/>); the act (<see cref="RunActionActivity"/>, no activity
/// retries: each retry of <see cref="ApprovalRun.AttemptAsync"/> reads the petition first) does nothing once the grant is
/// not live; the hold (status <c>active</c>) until the time box ends, Indent revokes or a cancel arrives; the undo through
/// the record (<see cref="UndoActionActivity"/>) in rounds; and the grant revoked in Indent when access ended by its time
/// or a cancel. The steps are those of <see cref="AccessOrchestrator"/>'s version 1.1, under the generic activities.</summary>
internal sealed class TimeBoxedRun(TaskOrchestrationContext context, ApprovalInput input) : HoldingRun(context, input)
{
    /// <summary>True when <paramref name="input"/>'s action is time-boxed (decided from the catalog, which is code: the
    /// same on every replay).</summary>
    public static bool Applies(ApprovalInput input) =>
        ActionCatalog.Find(input?.Action)?.Implementation is { } type && typeof(ITimeBoxedAction).IsAssignableFrom(type);

    protected override async Task<ApprovalResult> ActAsync(PetitionSnapshot granted)
    {
        var descriptor = ActionCatalog.Find(Input.Action)!;
        var asked = (descriptor.DurationField is { } field ? Input.Parameters?.Number(field) : null) ?? Input.Access?.DurationSeconds ?? 0;
        var grantedAt = granted.GrantedAt?.UtcDateTime ?? Context.CurrentUtcDateTime;
        var until = grantedAt.AddSeconds(Math.Min(asked, granted.GrantedSeconds ?? int.MaxValue));
        var step = new TimeBoxedActionInput(Context.InstanceId, Input.Action, Input.UserId, Input.Parameters, Input.RequestedAt, new DateTimeOffset(until, TimeSpan.Zero));
        var holding = Input.Access is { } resource ? "access to " + resource.ResourceName : descriptor.Title;
        AccessOutcome Outcome(string ended) => new(Input.ResourceId, Input.Access?.ResourceName ?? descriptor.Title, Input.Access?.GroupId ?? "", Input.UserId, grantedAt, until, Context.CurrentUtcDateTime, ended);
        Task Undo() => Context.CallActivityAsync<bool>(nameof(UndoActionActivity), step, AccessOrchestrator.MembershipRetry);
        string Stuck(string? lastError) => Input.Access is { } a
            ? $"the membership of {Input.UserId} in group {a.GroupId} could not be removed ({lastError}); remove it by hand"
            : $"the {descriptor.Title} of {Input.UserId} could not be undone ({lastError}); undo it by hand";

        try
        {
            await Context.CallActivityAsync<bool>(nameof(PrepareActionActivity), step, AccessOrchestrator.MembershipRetry);
        }
        catch (TaskFailedException e) when (ApprovalOrchestrator.IsCancelledBeforeAction(e.FailureDetails))
        {
            return await CancelledBeforeActionAsync(granted.DecidedBy); // a cancel claimed the approval first: nothing recorded
        }
        catch (TaskFailedException e)
        {
            await CloseAsync("the grant could not be recorded; access was not given", revokeGrant: true);
            return Finish(ApprovalStatuses.Failed, granted.DecidedBy, "granting access failed: the grant could not be recorded (" + ApprovalOrchestrator.Describe(e) + "); nothing was added");
        }

        ActionOutcome? outcome = null;
        var failed = await AttemptAsync(granted.DecidedBy, "granting access", async () => outcome = await Context.CallActivityAsync<ActionOutcome>(
            nameof(RunActionActivity), new RunActionInput(Context.InstanceId, Input.Action, Input.UserId, PetitionName!, Input.Parameters, Input.RequestedAt)));
        if (failed is not null)
        {
            // Whatever an attempt may have left behind, the record decides what to take back (nothing, if it was not ours).
            var stuck = await RemoveAsync(Undo, Stuck);
            if (failed.Status == ApprovalStatuses.Failed)
            {
                await CloseAsync("access could not be given", revokeGrant: true);
            }

            return stuck ?? failed;
        }

        var ended = outcome!.NotLive
            ? "the granted time was over before the membership could be added"
            : await HoldAsync(until, granted.DecidedBy, AccessOrchestrator.HoldPollInterval((until - grantedAt).TotalSeconds, Input.PollInitialSeconds, Input.PollMaxSeconds), holding);
        if (await RemoveAsync(Undo, Stuck) is { } failedEnd)
        {
            return failedEnd with { Access = Outcome(ended) };
        }

        if (!EndedInIndent(ended))
        {
            // Indent's audit shows the end too: the grant is revoked there (a no-op if Indent already ended it).
            await CloseAsync("access ended: " + ended, revokeGrant: true);
        }

        return Finish(ApprovalStatuses.Completed, granted.DecidedBy, "access ended: " + ended, access: Outcome(ended));
    }
}
