using Microsoft.DurableTask;

namespace Approvals.Core.Workflow;

/// <summary>The fast path's read and action in one activity: reads the petition back from Indent (as
/// <see cref="GetPetitionActivity"/> does), and only if it is granted, sealed for this approval and approved by someone
/// other than the requester and the target user (<see cref="FourEyes"/>), resets the password (as
/// <see cref="ResetPasswordActivity"/> does; idempotent, so a redelivered activity does not reset twice). One activity
/// instead of two saves the workflow a round trip through the task hub on every approval — two queue messages and
/// an orchestrator episode. A failed reset is returned, not thrown, so the workflow still knows what Indent said and
/// retries the action its own way (re-reading first).</summary>
public sealed class VerifyAndResetActivity(GetPetitionActivity read, ResetPasswordActivity reset, ActionFence fence) : TaskActivity<VerifyAndResetInput, VerifiedReset>
{
    public override async Task<VerifiedReset> RunAsync(TaskActivityContext context, VerifyAndResetInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var snapshot = await read.RunAsync(context, input.Read);
        if (!snapshot.IsGranted || FourEyes.Refusal(input.RequestedBy, input.Target, snapshot) is not null)
        {
            return new VerifiedReset(snapshot);
        }

        if (!await fence.MayActAsync(input.Reset.InstanceId))
        {
            return new VerifiedReset(snapshot, CancelledFirst: true); // a cancel claimed the approval first: nothing is done
        }

        try
        {
            return new VerifiedReset(snapshot, await reset.RunAsync(context, input.Reset));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new VerifiedReset(snapshot, Error: ApprovalOrchestrator.Shorten(e.Message), Permanent: e is PermanentActivityFailureException);
        }
    }
}
