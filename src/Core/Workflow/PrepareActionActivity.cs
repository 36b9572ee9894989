using Approvals.Core.Actions;
using Microsoft.DurableTask;

namespace Approvals.Core.Workflow;

/// <summary>Records a time-boxed action's grant before its act (<see cref="ITimeBoxedAction.RecordAsync"/>: for access,
/// the ledger entry with its not-after). Idempotent: a record already there is kept as it is. It claims the approval's
/// fence first (<see cref="ActionFence"/>): a live record may let what it grants be given (for access, a later settle of the
/// same membership adds for it), so nothing is recorded for an approval whose cancel won.</summary>
public sealed class PrepareActionActivity(IServiceProvider services, ActionFence fence) : TaskActivity<TimeBoxedActionInput, bool>
{
    public override async Task<bool> RunAsync(TaskActivityContext context, TimeBoxedActionInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var notAfter = input.NotAfter ?? throw new PermanentActivityFailureException("A time-boxed grant is recorded with its not-after.");
        await fence.ClaimActOrThrowAsync(input.Run().InstanceId);
        await input.Action(services).RecordAsync(input.Run(), notAfter, CancellationToken.None);
        return true;
    }
}
