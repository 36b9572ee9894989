using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace Approvals.Core.Workflow;

/// <summary>Undoes a time-boxed action at its end (<see cref="Actions.ITimeBoxedAction.UndoAsync"/>: for access, the grant
/// ended in the ledger and the membership removed unless another live grant needs it or it was never ours). Idempotent.
/// True when this call took something back.</summary>
public sealed class UndoActionActivity(IServiceProvider services, ILogger<UndoActionActivity> logger) : TaskActivity<TimeBoxedActionInput, bool>
{
    public override async Task<bool> RunAsync(TaskActivityContext context, TimeBoxedActionInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var undone = await input.Action(services).UndoAsync(input.Run(), CancellationToken.None);
        logger.LogInformation("Action {Action} of approval {InstanceId} ended for {UserId}; {Change}", input.ActionName, input.InstanceId, input.UserId, undone ? "undone" : "nothing of ours left to undo");
        return undone;
    }
}
