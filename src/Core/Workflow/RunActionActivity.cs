using Approvals.Core.Actions;
using Microsoft.DurableTask;

namespace Approvals.Core.Workflow;

/// <summary>Runs one action of the catalog by name, only after the orchestrator verified the grant (a retry of the fast
/// path's attempt, <see cref="VerifyAndActActivity"/>). The action is idempotent itself: it decides from the target
/// system's own state whether it already happened.</summary>
public sealed class RunActionActivity(ActionRunner runner) : TaskActivity<RunActionInput, ActionOutcome>
{
    public override Task<ActionOutcome> RunAsync(TaskActivityContext context, RunActionInput input) => runner.RunAsync(input);
}
