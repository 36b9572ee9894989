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

/// <summary><c>POST /api/approvals/{id}/credential</c>: a one-time secret, to the requester, once.</summary>
public sealed partial class ApprovalsApi
{
    /// <summary><c>POST /api/approvals/{id}/credential</c>: the temporary password, to the requester, once. The reveal
    /// starts its own durable instance (<see cref="CredentialRevealOrchestrator"/>): the backend lets exactly one start,
    /// its input is the audit record (who, when), and it destroys the stored secret. Again, or after expiry: 410.</summary>
    public async Task<Results<JsonHttpResult<CredentialResponse>, ProblemHttpResult>> RevealCredentialAsync(string? id, HttpRequest request, DurableTaskClient client, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(client);
        var (caller, metadata, refused) = await LoadAsync(id, request, client, Access.Reveal, cancellationToken);
        if (metadata is null)
        {
            return refused!;
        }

        id = metadata.InstanceId; // the instance as stored: its reveal's instance id and its secret's name derive from it

        var view = ToView(metadata);
        var (name, what) = SecretOf(metadata);
        if (view.Result is not { } result)
        {
            return Problem(StatusCodes.Status409Conflict, "No " + what, $"Approval {id} is {view.Status}; a {what} exists only once the {(what == "temporary password" ? "reset" : "action")} has completed.");
        }

        var state = await CredentialStateAsync(id!, result.ExpiresOn, client, cancellationToken);
        if (state.State != CredentialStates.Available)
        {
            if (state.State == CredentialStates.Expired && state.RevealedAt is null)
            {
                await StartRevealAsync(client, id!, name, CredentialStates.Expired, null, cancellationToken); // destroy it, once
            }

            return Gone(id!, state, what);
        }

        var stored = await credentials.GetAsync(name, cancellationToken);
        if (stored is null)
        {
            return Gone(id!, state with { State = CredentialStates.Destroyed }, what);
        }

        if (!await StartRevealAsync(client, id!, name, CredentialStates.Revealed, caller!.Email, cancellationToken))
        {
            return Gone(id!, await CredentialStateAsync(id!, result.ExpiresOn, client, cancellationToken), what);
        }

        logger.LogInformation("The {Secret} of approval {InstanceId} revealed to {Caller}", what, id, caller.Email);
        request.HttpContext.Response.Headers.CacheControl = "no-store";
        request.HttpContext.Response.Headers.Pragma = "no-cache";
        return TypedResults.Json(new CredentialResponse(stored.Value, result.ExpiresOn, result.ForceChangeAtNextSignIn, ActionCatalog.Find(view.Kind)?.Name), ApiJsonContext.Default.CredentialResponse);
    }

    /// <summary>Starts the reveal's instance; false when one already exists (someone else revealed it, or it expired).</summary>
    async Task<bool> StartRevealAsync(DurableTaskClient client, string id, string credentialName, string outcome, string? by, CancellationToken cancellationToken)
    {
        try
        {
            var input = new CredentialRevealInput(id, credentialName, outcome, by, timeProvider.GetUtcNow());
            await client.ScheduleNewOrchestrationInstanceAsync(nameof(CredentialRevealOrchestrator), input,
                new Microsoft.DurableTask.StartOrchestrationOptions(CredentialRevealOrchestrator.InstanceIdFor(id)) { Version = WorkflowVersions.Current }.WithDedupeStatuses(AllStatuses), cancellationToken);
            return true;
        }
        catch (Exception e) when (IsAlreadyExists(e))
        {
            return false;
        }
    }

    static ProblemHttpResult Gone(string id, CredentialView state, string what = "temporary password") => Problem(StatusCodes.Status410Gone, char.ToUpperInvariant(what[0]) + what[1..] + " gone", state.State switch
    {
        CredentialStates.Revealed => $"The {what} of approval {id} was already handed out{(state.RevealedAt is { } at ? " at " + at.ToString("u", CultureInfo.InvariantCulture) : "")} and has been destroyed. {Again(what)} if it was lost.",
        CredentialStates.Expired => $"The {what} of approval {id} expired before it was collected and is destroyed. {Again(what)}.",
        _ => $"The {what} of approval {id} is no longer stored. {Again(what)}.",
    });

    static string Again(string what) => what == "temporary password" ? "Ask for a new reset" : "Ask for a new " + what;

    /// <summary>Where an approval's one-time secret is stored and what it is called: an action's, as its outcome names it;
    /// else the password reset's.</summary>
    static (string Name, string What) SecretOf(OrchestrationMetadata metadata)
    {
        var result = metadata.RuntimeStatus == OrchestrationRuntimeStatus.Completed ? SafeRead(() => metadata.ReadOutputAs<ApprovalResult>()) : null;
        var action = ActionCatalog.Find(SafeRead(() => metadata.ReadInputAs<ApprovalInput>())?.Action);
        return action is not null
            ? (result?.Outcome?.CredentialName ?? ActionCatalog.CredentialName(action.Name, metadata.InstanceId), action.Secret ?? "secret")
            : (PasswordResetService.CredentialName(metadata.InstanceId), "temporary password");
    }

    /// <summary>What became of a completed reset's credential: from its reveal instance, else from its expiry.</summary>
    async Task<CredentialView> CredentialStateAsync(string approvalId, DateTimeOffset expiresOn, DurableTaskClient client, CancellationToken cancellationToken)
    {
        var reveal = await client.GetInstanceAsync(CredentialRevealOrchestrator.InstanceIdFor(approvalId), getInputsAndOutputs: true, cancellationToken);
        if (reveal is not null && SafeRead(() => reveal.ReadInputAs<CredentialRevealInput>()) is { } record)
        {
            return new CredentialView(record.Outcome, record.By, record.At);
        }

        return expiresOn <= timeProvider.GetUtcNow()
            ? new CredentialView(CredentialStates.Expired, null, null)
            : new CredentialView(CredentialStates.Available, null, null);
    }
}
