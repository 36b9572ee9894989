using Approvals.Core.Indent;
using Microsoft.DurableTask;

namespace Approvals.Core.Workflow;

/// <summary>Closes a petition the workflow will never act on (deadline, cancel), so approvers stop seeing it, and
/// revokes a grant it refuses to use (four eyes). Idempotent: only an open (or, when asked, granted) petition is
/// changed, with a claim id derived from the instance.</summary>
public sealed class ClosePetitionActivity(IndentClient indent) : TaskActivity<ClosePetitionInput, bool>
{
    public override async Task<bool> RunAsync(TaskActivityContext context, ClosePetitionInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return await IndentCalls.StopRetryingOnRefusal(async () =>
        {
            var petition = await indent.GetPetitionAsync(input.PetitionName);
            if (input.RevokeGrant && petition.Phase == IndentPhases.Granted)
            {
                await indent.RevokeAsync(input.PetitionName, "Revoked by Approvals: " + input.Reason, claimId: input.InstanceId + "-revoke");
                return true;
            }

            if (petition.Phase != IndentPhases.Open)
            {
                return false;
            }

            await indent.DenyAsync(input.PetitionName, "Closed by Approvals: " + input.Reason, claimId: input.InstanceId + "-close");
            return true;
        });
    }
}
