using Microsoft.DurableTask;

namespace Approvals.Core.Workflow;

/// <summary>Ends time-boxed access: the grant is ended in the ledger, and the membership removed unless another live
/// grant still needs it or it was never ours (<see cref="AccessLedger.EndAsync"/>). Idempotent. True when removed.</summary>
public sealed class EndAccessActivity(AccessLedger ledger) : TaskActivity<AccessGrantInput, bool>
{
    public override async Task<bool> RunAsync(TaskActivityContext context, AccessGrantInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return await ledger.EndAsync(input.InstanceId, input.GroupId, input.MemberId);
    }
}
