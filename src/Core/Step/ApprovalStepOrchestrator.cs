using Approvals.Core.Workflow;
using Microsoft.DurableTask;

namespace Approvals.Core.Step;

/// <summary>The approval as a durable step in another app: a sub-orchestration that runs <see cref="ApprovalRun"/> —
/// petition, wait (Indent's webhook or the backing-off poll), verify by reading the petition back, four eyes between
/// directory persons — and acts on nothing: it returns the verified grant, or why there is none, and the caller runs
/// its own activity. Call it through <see cref="ApprovalStepExtensions.RequestApprovalAsync"/>. Its input is an
/// <see cref="ApprovalInput"/> (<see cref="ApprovalStep.CreateInput"/> builds it) so that a long wait can continue as new
/// with the same input every approval workflow carries.</summary>
/// <remarks>It ignores <c>context.Version</c>: that is the calling app's own versioning, not this build's
/// <see cref="WorkflowVersions"/>. Its steps are fixed for its name: a change to them gets a new orchestrator name.</remarks>
public sealed class ApprovalStepOrchestrator : TaskOrchestrator<ApprovalInput, ApprovalStepResult>
{
    public override async Task<ApprovalStepResult> RunAsync(TaskOrchestrationContext context, ApprovalInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        var run = new StepRun(context, input);
        var result = await run.ExecuteAsync();
        return ApprovalStep.Outcome(context.InstanceId, input, result, run.Granted, run.LastRead);
    }

    /// <summary><see cref="ApprovalRun"/> with nothing to act on: the verified grant is the outcome.</summary>
    sealed class StepRun(TaskOrchestrationContext context, ApprovalInput input) : ApprovalRun(context, input)
    {
        /// <summary>The petition as last read while waiting (tells a revoke from a deny).</summary>
        public PetitionSnapshot? LastRead { get; private set; }

        /// <summary>The grant the run verified, once it has.</summary>
        public PetitionSnapshot? Granted { get; private set; }

        protected override async Task<PetitionSnapshot?> ReadForDecisionAsync(bool mayAct) => LastRead = await ReadAsync();

        protected override Task<ApprovalResult> ActAsync(PetitionSnapshot granted)
        {
            Granted = granted;
            return Task.FromResult(Finish(ApprovalStatuses.Completed, granted.DecidedBy, FourEyes.Describe(granted) ?? "granted; the caller acts"));
        }
    }
}
