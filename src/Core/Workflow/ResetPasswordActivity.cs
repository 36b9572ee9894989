using Approvals.Core.Actions;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace Approvals.Core.Workflow;

/// <summary>The sensitive action, scheduled by the orchestrator only right after it read the petition back from
/// Indent as <c>granted</c>. Idempotent: a retry after a crash returns the first reset's result.
/// (It does not read the petition a second time: that would be a third Indent call per approval for no new fact.)</summary>
public sealed class ResetPasswordActivity(PasswordResetService resets, ActionFence fence, ILogger<ResetPasswordActivity> logger)
    : TaskActivity<ResetPasswordInput, PasswordResetOutcome>
{
    public override async Task<PasswordResetOutcome> RunAsync(TaskActivityContext context, ResetPasswordInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        await fence.ClaimActOrThrowAsync(input.InstanceId); // a cancel that claimed the approval first stops the reset
        using var span = Telemetry.ApprovalsTelemetry.Source.StartActivity("approvals.action.reset-password");
        span?.SetTag("approvals.instance", input.InstanceId);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var result = "failed";
        PasswordResetOutcome outcome;
        try
        {
            // ResetAsync is idempotent itself: a retry after a completed reset returns that reset's result.
            outcome = await resets.ResetAsync(input.InstanceId, input.UserId);
            result = "done";
        }
        finally
        {
            Telemetry.ApprovalsTelemetry.ActionDuration.Record(
                System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds, new KeyValuePair<string, object?>("outcome", result));
        }

        logger.LogInformation("Password of {UserId} reset for approval {InstanceId} (petition {Petition}); credential stored as {Reference}", input.UserId, input.InstanceId, input.PetitionName, outcome.CredentialReference);
        return outcome;
    }
}
