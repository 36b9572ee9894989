using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Approvals.Core.Actions;
using Approvals.Core.Identity;
using Approvals.Core.Secrets;
using Approvals.Core.Workflow;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Approvals.Core.Http;

/// <summary><c>POST /api/password-resets</c>.</summary>
public sealed partial class ApprovalsApi
{
    public async Task<Results<Accepted<StartedResponse>, ProblemHttpResult, ValidationProblem>> StartPasswordResetAsync(HttpRequest request, DurableTaskClient client, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(client);
        using var span = Telemetry.ApprovalsTelemetry.Source.StartActivity("approvals.start");
        var (caller, body, key, refused) = await ReadValidStartAsync(request, ApiJsonContext.Default.PasswordResetBody, Validate, cancellationToken);
        if (caller is null || body is null)
        {
            return refused!;
        }

        var userId = body.UserId!;
        var reason = TrimReason(body.Reason)!;
        var deadline = body.DeadlineSeconds ?? options.DefaultDeadlineSeconds;
        var requestHash = Hash($"{userId}\n{reason}\n{deadline}");
        // A key belongs to its caller: the same key for another user (or any other body) is a 409, never a second approval.
        var instanceId = key is null ? ApprovalIds.New(WorkflowLabels.ResetPasswordAction, userId) : ApprovalIds.ForIdempotencyKey(WorkflowLabels.ResetPasswordAction, caller.Id, key);
        if (key is not null && await client.GetInstanceAsync(instanceId, getInputsAndOutputs: true, cancellationToken) is { } earlier)
        {
            return SameRequest(earlier, requestHash) ? Accepted(request, instanceId) : KeyReused();
        }

        // Check the target before asking anyone: an unknown or disabled user starts nothing and creates no petition.
        var (target, refusal) = await TargetAsync(userId, "resetting its password", cancellationToken);
        if (target is null)
        {
            return refusal!;
        }

        var input = new ApprovalInput(WorkflowLabels.ResetPasswordAction, userId, reason, deadline, options.PollInitialSeconds, options.PollMaxSeconds, requestHash, timeProvider.GetUtcNow(),
            RequestedBy: caller.AsRequester(), Target: new TargetUser(target.Id, target.DisplayName, target.SignInNames));

        if (await StartOnceAsync(client, nameof(ApprovalOrchestrator), input, instanceId, key is not null, cancellationToken) is { } conflict)
        {
            return conflict;
        }

        logger.LogInformation("Approval {InstanceId} for user {UserId} asked for by {Requester}", instanceId, userId, caller.Email);
        return Accepted(request, instanceId);
    }

    Dictionary<string, string[]> Validate(PasswordResetBody body)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        ValidateUserId(body.UserId, errors);

        ValidateReason(body.Reason, "say why the password must be reset", errors);
        ValidateDeadline(body.DeadlineSeconds, errors);
        return errors;
    }
}
