using Approvals.Core.Actions;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace Approvals.Core.Workflow;

/// <summary>Ends time-boxed access: the requester leaves the resource's group. Idempotent (a retry after a crash finds
/// them gone and removes nothing).</summary>
public sealed class RemoveGroupMemberActivity(IGroupMembership groups, ILogger<RemoveGroupMemberActivity> logger) : TaskActivity<MembershipInput, bool>
{
    public override async Task<bool> RunAsync(TaskActivityContext context, MembershipInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var removed = await groups.RemoveMemberAsync(input.GroupId, input.MemberId);
        logger.LogInformation("Access {InstanceId}: {Member} {Change} group {Group}", input.InstanceId, input.MemberId, removed ? "removed from" : "already out of", input.GroupId);
        return removed;
    }
}
