using Approvals.Core.Actions;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace Approvals.Core.Workflow;

/// <summary>Ends time-boxed access for instances of versions before 1.1. When the instance's add went through the ledger
/// (<see cref="AddGroupMemberActivity"/>), its grant is ended there and the membership settled as a 1.1 grant's is
/// (<see cref="AccessLedger.EndAsync"/>). An add from before the ledger has no entry: the requester leaves the group —
/// unless a live grant in the ledger (a newer approval's) still needs the membership, which then ends with the last of
/// them. Idempotent (a retry after a crash finds them gone and removes nothing).</summary>
public sealed class RemoveGroupMemberActivity(IGroupMembership groups, AccessLedger ledger, ILogger<RemoveGroupMemberActivity> logger) : TaskActivity<MembershipInput, bool>
{
    public override async Task<bool> RunAsync(TaskActivityContext context, MembershipInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (await ledger.EntryAsync(input.InstanceId, input.GroupId, input.MemberId) is not null)
        {
            var ended = await ledger.EndAsync(input.InstanceId, input.GroupId, input.MemberId);
            logger.LogInformation("Access {InstanceId} (1.0): grant of {Member} in group {Group} ended; {Change}", input.InstanceId, input.MemberId, input.GroupId, ended ? "removed" : "not removed by this end");
            return ended;
        }

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
