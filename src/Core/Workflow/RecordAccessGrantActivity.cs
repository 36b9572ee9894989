using Microsoft.DurableTask;

namespace Approvals.Core.Workflow;

/// <summary>Records in the access ledger the membership a verified grant is about to give (person, group, approval,
/// not-after) before any add. Idempotent: an entry already there, ended or not, is kept as it is. It claims the approval's
/// fence first (<see cref="ActionFence"/>): a live entry lets a later settle of the same membership add for it, so an entry
/// is never recorded for an approval whose cancel won.</summary>
public sealed class RecordAccessGrantActivity(AccessLedger ledger, ActionFence fence) : TaskActivity<AccessGrantInput, bool>
{
    public override async Task<bool> RunAsync(TaskActivityContext context, AccessGrantInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        await fence.ClaimActOrThrowAsync(input.InstanceId);
        var entry = await ledger.IntendAsync(input.InstanceId, input.GroupId, input.MemberId, input.NotAfter);
        return entry.EndedAt is null;
    }
}
