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

        id = metadata.InstanceId; // the instance as stored: an engine may find it under another spelling, the fence may not

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

        // Loaded with inputs and outputs: the custom status (active while access holds) comes only with them.
        var progress = SafeRead(() => metadata.ReadCustomStatusAs<ApprovalProgressStatus>());
        if (metadata.IsCompleted || (progress is not null && ApprovalStatuses.IsFinal(progress.Status)))
        {
            return Problem(StatusCodes.Status409Conflict, "Already decided", $"Approval {id} is {(metadata.IsCompleted ? "finished" : progress!.Status)}; it can no longer be cancelled.");
        }

        if (progress?.Status is ApprovalStatuses.Active)
        {
            // Time-boxed access that holds: the cancel ends it (the undo runs); nothing more is granted.
            await client.RaiseEventAsync(id!, ApprovalEvents.Cancel, new CancelRequest(reason, caller!.Email), cancellationToken);
            logger.LogInformation("Cancel requested for approval {InstanceId} by {Caller}: access ends", id, caller.Email);
            return TypedResults.Accepted((string?)null, new CancelAccepted(id!, ApprovalStatuses.Cancelling));
        }

        // A 202 means no action will run: the cancel and the action race for the approval's fence, and only one wins
        // (ActionFence) — wherever the workflow is, reading the petition back included.
        if (!await fence.CancelAsync(id!, cancellationToken))
        {
            return Problem(StatusCodes.Status409Conflict, "Action started", $"Approval {id}'s action started before the cancel; the cancel did not stop it. Retry in a moment: its status will say what ran{(ToView(metadata).Access is null ? "" : ", and once access is active a cancel ends it")}.");
        }

        await client.RaiseEventAsync(id!, ApprovalEvents.Cancel, new CancelRequest(reason, caller!.Email), cancellationToken);
        logger.LogInformation("Cancel of approval {InstanceId} by {Caller}: no action will run", id, caller.Email);
        return TypedResults.Accepted((string?)null, new CancelAccepted(id!, ApprovalStatuses.Cancelled));
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

        id = metadata.InstanceId;

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
