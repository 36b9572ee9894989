using Approvals.Core.Actions;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace Approvals.Core.Workflow;

/// <summary>Grants time-boxed access: the requester joins the resource's group. Scheduled only after the grant was read
/// back from Indent and passed four eyes; idempotent (a retry after a crash finds the member there and adds nothing).</summary>
public sealed class AddGroupMemberActivity(IGroupMembership groups, ILogger<AddGroupMemberActivity> logger) : TaskActivity<MembershipInput, bool>
{
    public override async Task<bool> RunAsync(TaskActivityContext context, MembershipInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var added = await groups.AddMemberAsync(input.GroupId, input.MemberId);
        logger.LogInformation("Access {InstanceId}: {Member} {Change} group {Group}", input.InstanceId, input.MemberId, added ? "added to" : "already in", input.GroupId);
        return added;
    }
}
