using Microsoft.DurableTask;

namespace Approvals.Core.Workflow;

/// <summary>Grants time-boxed access: the requester joins the resource's group — only while the approval's ledger entry
/// is live (<see cref="AccessLedger.AddAsync"/>). Run without an activity retry policy: the workflow retries it itself,
/// each time after reading the petition again, and a replayed or redelivered run after the grant ended writes nothing.
/// Returns one of <see cref="GrantOutcomes"/>.</summary>
public sealed class GrantAccessActivity(AccessLedger ledger, ActionFence fence) : TaskActivity<AccessGrantInput, string>
{
    public override async Task<string> RunAsync(TaskActivityContext context, AccessGrantInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        await fence.ClaimActOrThrowAsync(input.InstanceId); // a cancel that claimed the approval first: nothing is added
        return await ledger.AddAsync(input.InstanceId, input.GroupId, input.MemberId);
    }
}
