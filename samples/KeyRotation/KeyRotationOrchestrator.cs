using Approvals.Core.Identity;
using Approvals.Core.Step;
using Microsoft.DurableTask;

namespace KeyRotation;

/// <summary>Asks for the rotation of a storage key; <paramref name="PollMaxSeconds"/> caps the approval's fallback poll
/// (the webhook, when Indent can reach the app, is the fast path).</summary>
public sealed record RotationRequest(string KeyName, string Reason, Requester Requester, int DeadlineSeconds = 86_400, int PollMaxSeconds = 300);

/// <summary>The custom status while it runs: where it is, and the approval step's instance (to follow or cancel it).</summary>
public sealed record RotationStatus(string Stage, string ApprovalId);

/// <summary>The outcome: the key's new version when rotated, and what the approval said either way.</summary>
public sealed record RotationResult(bool Rotated, string? KeyVersion, ApprovalStepResult Approval);

/// <summary>Rotates a storage key only once another person approved it: the approval step first (a sub-orchestration
/// from the Approvals.Core package), then this app's own activity — or nothing: <c>RequestApprovalAsync</c> returns only
/// a verified grant and throws <see cref="ApprovalRefusedException"/> for anything else.</summary>
public sealed class KeyRotationOrchestrator : TaskOrchestrator<RotationRequest, RotationResult>
{
    public override async Task<RotationResult> RunAsync(TaskOrchestrationContext context, RotationRequest input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        var approvalId = ApprovalStep.NewInstanceId(context);
        context.SetCustomStatus(new RotationStatus("awaiting approval", approvalId));
        ApprovalGrant grant;
        try
        {
            // Returns only a verified grant; anything else throws, so the rotation below cannot run on a refusal.
            grant = await context.RequestApprovalAsync(
                new ApprovalRequest(input.Reason, new ApprovalResource("secret", "storage-key:" + input.KeyName, $"Storage key {input.KeyName}"), input.Requester, TimeSpan.FromSeconds(input.DeadlineSeconds))
                {
                    PollInitial = TimeSpan.FromSeconds(Math.Min(2, input.PollMaxSeconds)),
                    PollMax = TimeSpan.FromSeconds(input.PollMaxSeconds),
                },
                approvalId);
        }
        catch (ApprovalRefusedException refused)
        {
            // Denied, revoked, expired, cancelled or failed: not rotated, and the answer is kept in the outcome.
            context.SetCustomStatus(new RotationStatus("not rotated: " + refused.Reason, approvalId));
            return new RotationResult(false, null, new ApprovalStepResult(null, refused.Refusal));
        }

        context.SetCustomStatus(new RotationStatus("rotating", approvalId));
        var rotated = await context.CallActivityAsync<RotatedKey>(nameof(RotateKeyActivity), new RotateKeyInput(input.KeyName, context.InstanceId, grant.Approver));
        context.SetCustomStatus(new RotationStatus("rotated", approvalId));
        return new RotationResult(true, rotated.Version, new ApprovalStepResult(grant, null));
    }
}
