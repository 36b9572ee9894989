using Approvals.Core.Actions;
using Approvals.Core.Workflow;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;

namespace Approvals.Functions.Workflow;

/// <summary>The orchestrator and activities from Core, bound as Functions under the names the orchestrator calls.</summary>
public sealed class WorkflowFunctions(
    CreatePetitionActivity createPetition,
    GetPetitionActivity getPetition,
    ClosePetitionActivity closePetition,
    ResetPasswordActivity resetPassword)
{
    [Function(nameof(ApprovalOrchestrator))]
    public static Task<ApprovalResult> Orchestrate([OrchestrationTrigger] TaskOrchestrationContext context) =>
        new ApprovalOrchestrator().RunAsync(context, context.GetInput<ApprovalInput>()!);

    [Function(nameof(CreatePetitionActivity))]
    public Task<PetitionRef> CreatePetition([ActivityTrigger] CreatePetitionInput input) => createPetition.RunAsync(null!, input);

    [Function(nameof(GetPetitionActivity))]
    public Task<PetitionSnapshot> GetPetition([ActivityTrigger] GetPetitionInput input) => getPetition.RunAsync(null!, input);

    [Function(nameof(ClosePetitionActivity))]
    public Task<bool> ClosePetition([ActivityTrigger] ClosePetitionInput input) => closePetition.RunAsync(null!, input);

    [Function(nameof(ResetPasswordActivity))]
    public Task<PasswordResetOutcome> ResetPassword([ActivityTrigger] ResetPasswordInput input) => resetPassword.RunAsync(null!, input);
}
