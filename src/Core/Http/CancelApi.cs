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

/// <summary><c>POST /api/approvals/{id}/cancel</c> and <c>GET /api/approvals/{id}/history</c>.</summary>
public sealed partial class ApprovalsApi
{
    public async Task<Results<Accepted<CancelAccepted>, ProblemHttpResult, ValidationProblem>> CancelAsync(string? id, HttpRequest request, DurableTaskClient client, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(client);
        var (caller, metadata, refused) = await LoadAsync(id, request, client, Access.Cancel, cancellationToken);
        if (metadata is null)
        {
            return refused!;
        }

        var (body, bodyProblem) = await RequestBody.ReadJsonAsync(request, MaxBodyBytes, ApiJsonContext.Default.CancelBody, optional: true, cancellationToken);
        if (bodyProblem is not null)
        {
            return bodyProblem;
        }

        var reason = TrimReason(body?.Reason);
        if (reason is { Length: > MaxReasonLength } || (reason is not null && !IsPlainText(reason)))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["reason"] = [$"reason must be at most {MaxReasonLength} characters, without control characters."] });
        }

        // Loaded with inputs and outputs: the custom status (approved while the action runs) comes only with them.
        var progress = SafeRead(() => metadata.ReadCustomStatusAs<ApprovalProgressStatus>());
        if (metadata.IsCompleted || progress?.Status is ApprovalStatuses.Approved || (progress is not null && ApprovalStatuses.IsFinal(progress.Status)))
        {
            return Problem(StatusCodes.Status409Conflict, "Already decided", $"Approval {id} is {(metadata.IsCompleted ? "finished" : progress!.Status)}; it can no longer be cancelled.");
        }

        if (progress?.Status is ApprovalStatuses.Verifying)
        {
            // The read in flight may also act: a cancel now could not promise that nothing runs.
            return Problem(StatusCodes.Status409Conflict, "Being verified", $"Approval {id} is reading back a decision that may run the action right now; retry in a moment (the status will say whether it ran).");
        }

        await client.RaiseEventAsync(id!, ApprovalEvents.Cancel, new CancelRequest(reason, caller!.Email), cancellationToken);
        logger.LogInformation("Cancel requested for approval {InstanceId} by {Caller}", id, caller.Email);
        if (progress?.Status is ApprovalStatuses.Active)
        {
            return TypedResults.Accepted((string?)null, new CancelAccepted(id!, "cancelling")); // the access ends; nothing more is granted
        }

        // A 202 means no action will run: answered only once the workflow itself has taken the cancel (it decides,
        // atomically with scheduling the action, which came first).
        return await CancelVerdictAsync(id!, client, cancellationToken);
    }

    /// <summary>How long a cancel waits for the workflow to take it before answering "retry in a moment".</summary>
    public static readonly TimeSpan CancelVerdictWait = TimeSpan.FromSeconds(10);

    async Task<Results<Accepted<CancelAccepted>, ProblemHttpResult, ValidationProblem>> CancelVerdictAsync(string id, DurableTaskClient client, CancellationToken cancellationToken)
    {
        var until = timeProvider.GetUtcNow() + CancelVerdictWait;
        var delay = TimeSpan.FromMilliseconds(25);
        while (true)
        {
            var metadata = await client.GetInstanceAsync(id, getInputsAndOutputs: true, cancellationToken);
            var status = metadata is null ? null : ToView(metadata).Status;
            if (status is ApprovalStatuses.Cancelled or ApprovalStatuses.Cancelling)
            {
                return TypedResults.Accepted((string?)null, new CancelAccepted(id, ApprovalStatuses.Cancelled));
            }

            if (status is ApprovalStatuses.Approved or ApprovalStatuses.Active or ApprovalStatuses.Verifying || (status is not null && ApprovalStatuses.IsFinal(status)))
            {
                return Problem(StatusCodes.Status409Conflict, "Already decided", $"Approval {id} was {status} before the cancel reached it; the cancel did not stop it. Its status says what ran.");
            }

            if (timeProvider.GetUtcNow() >= until)
            {
                return Problem(StatusCodes.Status409Conflict, "Not taken yet", $"The cancel reached approval {id} but the workflow has not taken it within {CancelVerdictWait.TotalSeconds:0} s (it may be reading the petition); it applies if no action starts first. Retry in a moment to learn which.");
            }

            await Task.Delay(delay, cancellationToken);
            delay = TimeSpan.FromMilliseconds(Math.Min(250, delay.TotalMilliseconds * 2));
        }
    }

    public async Task<Results<JsonHttpResult<HistoryView>, ProblemHttpResult>> GetHistoryAsync(string? id, HttpRequest request, DurableTaskClient client, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(client);
        var (_, metadata, refused) = await LoadAsync(id, request, client, Access.Read, cancellationToken);
        if (metadata is null)
        {
            return refused!;
        }

        var view = ToView(metadata, indent.Space);
        var entries = new List<AuditEntry>(await history.ReadAsync(client, id!, cancellationToken));
        if (view.RequestedBy is { } requester)
        {
            entries.Add(new AuditEntry(metadata.CreatedAt, "approvals", "requested", requester.Email, view.Access is { } asked
                ? $"access to {asked.ResourceName} for {asked.DurationSeconds} s"
                : $"reset the password of {view.UserId}"));
        }

        if (view.Access is { GrantedAt: { } grantedAt, EndedAt: { } endedAt } access)
        {
            entries.Add(new AuditEntry(grantedAt, "approvals", "access/granted", view.RequestedBy?.Email, $"member of the group of {access.ResourceName} until {access.ActiveUntil:u}"));
            entries.Add(new AuditEntry(endedAt, "approvals", "access/ended", view.RequestedBy?.Email, access.EndedBecause));
        }

        if (view.Result is { } result && await CredentialStateAsync(id!, result.ExpiresOn, client, cancellationToken) is { RevealedAt: { } revealedAt } credential)
        {
            entries.Add(new AuditEntry(revealedAt, "approvals", "credential/" + credential.State, credential.RevealedBy, null));
        }

        string? phase = null, petitionError = null;
        if (view.Petition is { } petitionName)
        {
            try
            {
                var petition = await indent.GetPetitionAsync(petitionName, cancellationToken);
                phase = petition.Phase;
                foreach (var e in petition.State?.EventHistory ?? [])
                {
                    var actor = e.Actor?.Email ?? e.Actor?.DisplayName ?? e.Actor?.Id;
                    entries.Add(new AuditEntry(e.Timestamp ?? DateTimeOffset.MinValue, "indent", e.EventType ?? "unknown", actor, e.Reason));
                }
            }
            catch (Exception e) when (e is Indent.IndentApiException or HttpRequestException or TaskCanceledException or Polly.Timeout.TimeoutRejectedException)
            {
                petitionError = "The petition could not be read from Indent just now; the durable history is complete.";
            }
        }

        entries.Sort((a, b) => a.Timestamp.CompareTo(b.Timestamp));
        return TypedResults.Json(new HistoryView(id!, view.Status, view.Petition, phase, entries, petitionError, view.RequestedBy), ApiJsonContext.Default.HistoryView);
    }
}
