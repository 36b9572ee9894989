using Approvals.Core.Workflow;
using Microsoft.DurableTask;

namespace Approvals.Core.Step;

/// <summary>The approval as a durable step in another app: a sub-orchestration that runs <see cref="ApprovalRun"/> —
/// petition, wait (Indent's webhook or the backing-off poll), verify by reading the petition back, four eyes between
/// directory persons — and acts on nothing: it returns the verified grant, or why there is none, and the caller runs
/// its own activity. Call it through <see cref="ApprovalStepExtensions.RequestApprovalAsync"/>. Its input is an
/// <see cref="ApprovalInput"/> (<see cref="ApprovalStep.CreateInput"/> builds it) so that a long wait can continue as new
/// with the same input every approval workflow carries.</summary>
/// <remarks>Its first step resolves the requester to one enabled directory person (<see cref="ResolveRequesterActivity"/>)
/// and ends <see cref="ApprovalRefusalReason.Failed"/>, creating no petition, when that fails.
/// It ignores <c>context.Version</c>: that is the calling app's own versioning, not this build's
/// <see cref="WorkflowVersions"/>. Its steps are fixed for its name: a change to them gets a new orchestrator name.</remarks>
public sealed class ApprovalStepOrchestrator : TaskOrchestrator<ApprovalInput, ApprovalStepResult>
{
    public override async Task<ApprovalStepResult> RunAsync(TaskOrchestrationContext context, ApprovalInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        if (input.Continued is null)
        {
            // First, the requester as one enabled directory person: four eyes compares object ids, and a caller may have
            // named the requester by user principal name or mail. A continued execution carries the resolved input.
            var resolved = await ResolveRequesterAsync(context, input);
            if (resolved.Person is not { } person)
            {
                var why = "refused: " + resolved.Refusal;
                context.SetCustomStatus(new ApprovalProgressStatus { Status = ApprovalStatuses.Failed, Detail = why });
                return new ApprovalStepResult(null, new ApprovalRefusal(context.InstanceId, ApprovalRefusalReason.Failed, why, null, null));
            }

            input = input with { UserId = person.Id, RequestedBy = person };
        }

        var run = new StepRun(context, input);
        var result = await run.ExecuteAsync();
        return ApprovalStep.Outcome(context.InstanceId, result, run.Granted, run.LastRead);
    }

    static async Task<RequesterResolution> ResolveRequesterAsync(TaskOrchestrationContext context, ApprovalInput input)
    {
        if (input.RequestedBy is not { } requester)
        {
            return RequesterResolution.Refused("the request names no requester");
        }

        try
        {
            return await context.CallActivityAsync<RequesterResolution>(nameof(ResolveRequesterActivity), requester, ApprovalOrchestrator.IndentRetry);
        }
        catch (TaskFailedException e)
        {
            return RequesterResolution.Refused("the requester could not be looked up in the directory: " + ApprovalOrchestrator.Describe(e));
        }
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
