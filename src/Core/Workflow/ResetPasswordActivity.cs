using Approvals.Core.Actions;
using Approvals.Core.Indent;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace Approvals.Core.Workflow;

/// <summary>The sensitive action. Idempotent (a retry after a crash returns the first reset's result) and
/// defensive: it re-reads the petition and refuses unless Indent says <c>granted</c>.</summary>
public sealed class ResetPasswordActivity(PasswordResetService resets, IndentClient indent, ILogger<ResetPasswordActivity> logger)
    : TaskActivity<ResetPasswordInput, PasswordResetOutcome>
{
    public override async Task<PasswordResetOutcome> RunAsync(TaskActivityContext context, ResetPasswordInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var done = await resets.FindCompletedAsync(input.InstanceId, input.UserId);
        if (done is not null)
        {
            logger.LogInformation("Password reset for approval {InstanceId} already done; returning its result", input.InstanceId);
            return done;
        }

        Petition petition;
        try
        {
            petition = await indent.GetPetitionAsync(input.PetitionName);
        }
        catch (IndentApiException e) when (!e.IsTransient)
        {
            throw new PermanentActivityFailureException(e.Message, e);
        }

        if (petition.Phase != IndentPhases.Granted)
        {
            throw new PermanentActivityFailureException($"Petition {input.PetitionName} is {petition.Phase ?? "unknown"}, not granted: refusing to act.");
        }

        var outcome = await resets.ResetAsync(input.InstanceId, input.UserId);
        logger.LogInformation("Password of {UserId} reset for approval {InstanceId}; credential stored as {Reference}", input.UserId, input.InstanceId, outcome.CredentialReference);
        return outcome;
    }
}
