using Approvals.Core.Actions;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace Approvals.Core.Workflow;

/// <summary>Ends time-boxed access for instances of versions before 1.1: the requester leaves the resource's group —
/// unless a live grant in the access ledger (a newer approval's) still needs the membership, which then ends with the
/// last of them. Idempotent (a retry after a crash finds them gone and removes nothing).</summary>
public sealed class RemoveGroupMemberActivity(IGroupMembership groups, AccessLedger ledger, ILogger<RemoveGroupMemberActivity> logger) : TaskActivity<MembershipInput, bool>
{
    public override async Task<bool> RunAsync(TaskActivityContext context, MembershipInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (await ledger.IsNeededAsync(input.GroupId, input.MemberId))
        {
            logger.LogInformation("Access {InstanceId}: {Member} stays in group {Group}: a live grant still needs it", input.InstanceId, input.MemberId, input.GroupId);
            return false;
        }

        var removed = await groups.RemoveMemberAsync(input.GroupId, input.MemberId);
        logger.LogInformation("Access {InstanceId}: {Member} {Change} group {Group}", input.InstanceId, input.MemberId, removed ? "removed from" : "already out of", input.GroupId);
        return removed;
    }
}
