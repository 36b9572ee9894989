using Approvals.Core.Actions;
using Approvals.Core.Workflow;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.Extensions.DependencyInjection;

namespace Approvals.Functions.Workflow;

/// <summary>The orchestrator and activities from Core (<see cref="ApprovalsTasks"/>), bound as Functions under the names
/// the orchestrator calls. Each activity wrapper resolves only its own activity and gives it a real context.</summary>
public static class WorkflowFunctions
{
    [Function(nameof(ApprovalOrchestrator))]
    public static Task<ApprovalResult> Orchestrate([OrchestrationTrigger] TaskOrchestrationContext context) =>
        new ApprovalOrchestrator().RunAsync(context, context.GetInput<ApprovalInput>()!);

    [Function(nameof(AccessOrchestrator))]
    public static Task<ApprovalResult> OrchestrateAccess([OrchestrationTrigger] TaskOrchestrationContext context) =>
        new AccessOrchestrator().RunAsync(context, context.GetInput<ApprovalInput>()!);

    [Function(nameof(CredentialRevealOrchestrator))]
    public static Task<CredentialRevealResult> RevealCredential([OrchestrationTrigger] TaskOrchestrationContext context) =>
        new CredentialRevealOrchestrator().RunAsync(context, context.GetInput<CredentialRevealInput>()!);

    [Function(nameof(ActionOrchestrator))]
    public static Task<ApprovalResult> OrchestrateAction([OrchestrationTrigger] TaskOrchestrationContext context) =>
        new ActionOrchestrator().RunAsync(context, context.GetInput<ApprovalInput>()!);

    [Function(nameof(RunActionActivity))]
    public static Task<ActionOutcome> RunAction([ActivityTrigger] RunActionInput input, string instanceId, FunctionContext executionContext) =>
        Run<RunActionActivity, RunActionInput, ActionOutcome>(input, instanceId, executionContext);

    [Function(nameof(VerifyAndActActivity))]
    public static Task<VerifiedAction> VerifyAndAct([ActivityTrigger] VerifyAndActInput input, string instanceId, FunctionContext executionContext) =>
        Run<VerifyAndActActivity, VerifyAndActInput, VerifiedAction>(input, instanceId, executionContext);

    [Function(nameof(PrepareActionActivity))]
    public static Task<bool> PrepareAction([ActivityTrigger] TimeBoxedActionInput input, string instanceId, FunctionContext executionContext) =>
        Run<PrepareActionActivity, TimeBoxedActionInput, bool>(input, instanceId, executionContext);

    [Function(nameof(UndoActionActivity))]
    public static Task<bool> UndoAction([ActivityTrigger] TimeBoxedActionInput input, string instanceId, FunctionContext executionContext) =>
        Run<UndoActionActivity, TimeBoxedActionInput, bool>(input, instanceId, executionContext);

    [Function(nameof(CreatePetitionActivity))]
    public static Task<PetitionRef> CreatePetition([ActivityTrigger] CreatePetitionInput input, string instanceId, FunctionContext executionContext) =>
        Run<CreatePetitionActivity, CreatePetitionInput, PetitionRef>(input, instanceId, executionContext);

    [Function(nameof(GetPetitionActivity))]
    public static Task<PetitionSnapshot> GetPetition([ActivityTrigger] GetPetitionInput input, string instanceId, FunctionContext executionContext) =>
        Run<GetPetitionActivity, GetPetitionInput, PetitionSnapshot>(input, instanceId, executionContext);

    [Function(nameof(ClosePetitionActivity))]
    public static Task<bool> ClosePetition([ActivityTrigger] ClosePetitionInput input, string instanceId, FunctionContext executionContext) =>
        Run<ClosePetitionActivity, ClosePetitionInput, bool>(input, instanceId, executionContext);

    [Function(nameof(ResetPasswordActivity))]
    public static Task<PasswordResetOutcome> ResetPassword([ActivityTrigger] ResetPasswordInput input, string instanceId, FunctionContext executionContext) =>
        Run<ResetPasswordActivity, ResetPasswordInput, PasswordResetOutcome>(input, instanceId, executionContext);

    [Function(nameof(VerifyAndResetActivity))]
    public static Task<VerifiedReset> VerifyAndReset([ActivityTrigger] VerifyAndResetInput input, string instanceId, FunctionContext executionContext) =>
        Run<VerifyAndResetActivity, VerifyAndResetInput, VerifiedReset>(input, instanceId, executionContext);

    [Function(nameof(DestroyCredentialActivity))]
    public static Task<bool> DestroyCredential([ActivityTrigger] string input, string instanceId, FunctionContext executionContext) =>
        Run<DestroyCredentialActivity, string, bool>(input, instanceId, executionContext);

    [Function(nameof(AddGroupMemberActivity))]
    public static Task<bool> AddGroupMember([ActivityTrigger] MembershipInput input, string instanceId, FunctionContext executionContext) =>
        Run<AddGroupMemberActivity, MembershipInput, bool>(input, instanceId, executionContext);

    [Function(nameof(RemoveGroupMemberActivity))]
    public static Task<bool> RemoveGroupMember([ActivityTrigger] MembershipInput input, string instanceId, FunctionContext executionContext) =>
        Run<RemoveGroupMemberActivity, MembershipInput, bool>(input, instanceId, executionContext);

    [Function(nameof(RecordAccessGrantActivity))]
    public static Task<bool> RecordAccessGrant([ActivityTrigger] AccessGrantInput input, string instanceId, FunctionContext executionContext) =>
        Run<RecordAccessGrantActivity, AccessGrantInput, bool>(input, instanceId, executionContext);

    [Function(nameof(GrantAccessActivity))]
    public static Task<string> GrantAccess([ActivityTrigger] AccessGrantInput input, string instanceId, FunctionContext executionContext) =>
        Run<GrantAccessActivity, AccessGrantInput, string>(input, instanceId, executionContext);

    [Function(nameof(EndAccessActivity))]
    public static Task<bool> EndAccess([ActivityTrigger] AccessGrantInput input, string instanceId, FunctionContext executionContext) =>
        Run<EndAccessActivity, AccessGrantInput, bool>(input, instanceId, executionContext);

    static Task<TOutput> Run<TActivity, TInput, TOutput>(TInput input, string instanceId, FunctionContext executionContext)
        where TActivity : TaskActivity<TInput, TOutput>
    {
        ArgumentNullException.ThrowIfNull(executionContext);
        var activity = executionContext.InstanceServices.GetRequiredService<TActivity>();
        return activity.RunAsync(new FunctionsActivityContext(typeof(TActivity).Name, instanceId), input);
    }

    /// <summary>What an activity knows of its invocation: its name and the orchestration instance that called it.</summary>
    sealed class FunctionsActivityContext(TaskName name, string instanceId) : TaskActivityContext
    {
        public override TaskName Name { get; } = name;

        public override string InstanceId { get; } = instanceId;
    }
}
