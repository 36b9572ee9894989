using Microsoft.DurableTask;

namespace Approvals.Core.Workflow;

/// <summary>The fast path of every action on the contract, in one activity: reads the petition back from Indent (as
/// <see cref="GetPetitionActivity"/> does) and, only if it is granted, sealed for this approval and approved by a person
/// who is neither the requester nor the target (<see cref="FourEyes"/>), claims the approval's fence and runs the action
/// (<see cref="ActionRunner"/>). One activity instead of two saves a round trip through the task hub on every approval.
/// A failed action is returned, not thrown, so the workflow still knows what Indent said and retries its own way
/// (re-reading first); a cancel that claimed the fence first is returned as <see cref="VerifiedAction.CancelledFirst"/>.</summary>
public sealed class VerifyAndActActivity(GetPetitionActivity read, ActionRunner runner) : TaskActivity<VerifyAndActInput, VerifiedAction>
{
    public override async Task<VerifiedAction> RunAsync(TaskActivityContext context, VerifyAndActInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var snapshot = await read.RunAsync(context, input.Read);
        if (!snapshot.IsGranted || FourEyes.Refusal(input.RequestedBy, input.Target, snapshot) is not null)
        {
            return new VerifiedAction(snapshot);
        }

        try
        {
            return new VerifiedAction(snapshot, await runner.RunAsync(input.Act));
        }
        catch (CancelledBeforeActionException)
        {
            return new VerifiedAction(snapshot, CancelledFirst: true);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new VerifiedAction(snapshot, Error: ApprovalOrchestrator.Shorten(e.Message), Permanent: e is PermanentActivityFailureException);
        }
    }
}
