using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Approvals.Core.Actions;
using Approvals.Core.Workflow;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;

namespace Approvals.Core.Http;

/// <summary><c>POST /api/actions/{action}</c>: starts any action of <see cref="ActionCatalog"/> on the contract
/// (<see cref="ISensitiveAction"/>), through the start sequence every starter shares. The body is
/// <c>{"userId","reason","deadlineSeconds"?}</c> plus the action's own fields; bad input (field-named 400), an unknown
/// or disabled user (404/409), the action's own target refusal (404/409) or a directory that cannot be asked (503)
/// start nothing.</summary>
public sealed partial class ApprovalsApi
{
    static readonly string[] CommonFields = ["userId", "reason", "deadlineSeconds"];

    public async Task<Results<Accepted<StartedResponse>, ProblemHttpResult, ValidationProblem>> StartActionAsync(string? name, HttpRequest request, DurableTaskClient client, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(client);
        if (ActionCatalog.Find(name) is not { TargetIsRequester: false } descriptor) // an action on the requester has its own start route
        {
            return Problem(StatusCodes.Status404NotFound, "Unknown action", $"There is no action '{name}' here; actions: {string.Join(", ", ActionCatalog.All.Where(a => !a.TargetIsRequester).Select(a => a.Name))}.");
        }

        using var span = Telemetry.ApprovalsTelemetry.Source.StartActivity("approvals.start");
        span?.SetTag("approvals.action", descriptor.Name);
        var (caller, body, refused) = await ReadStartAsync(request, ApiJsonContext.Default.JsonObject, cancellationToken);
        if (caller is null || body is null)
        {
            return refused!;
        }

        var action = ActionCatalog.Resolve(request.HttpContext.RequestServices, descriptor.Name);
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var userId = Text(body, "userId", errors);
        var reasonText = Text(body, "reason", errors);
        var deadlineSeconds = Number(body, "deadlineSeconds", errors);
        if (!errors.ContainsKey("userId"))
        {
            ValidateUserId(userId, errors);
        }

        if (!errors.ContainsKey("reason"))
        {
            ValidateReason(reasonText, descriptor.ReasonHint ?? $"say why the {descriptor.Title} is needed", errors);
        }

        ValidateDeadline(deadlineSeconds, errors);
        var parameters = ActionParameters.Read(body, descriptor, CommonFields, errors);
        action.Validate(parameters, errors);
        var key = ReadIdempotencyKey(request, errors);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "The request is not valid");
        }

        return await StartValidatedAsync(descriptor, action, new ActionStart(caller, userId!, TrimReason(reasonText)!, deadlineSeconds ?? options.DefaultDeadlineSeconds, parameters, key), request, client, cancellationToken);
    }

    /// <summary>A validated start of an action: who asks, for which user, why, until when, with which fields and key.</summary>
    sealed record ActionStart(Identity.Caller Caller, string UserId, string Reason, int Deadline, ActionParameters Parameters, string? Key);

    /// <summary>The rest of every action's start once its body is valid (its own route's or the generic one's): the
    /// idempotency key, the target checked before anyone is asked, then the generic workflow.</summary>
    async Task<Results<Accepted<StartedResponse>, ProblemHttpResult, ValidationProblem>> StartValidatedAsync(ActionDescription descriptor, ISensitiveAction action, ActionStart start, HttpRequest request, DurableTaskClient client, CancellationToken cancellationToken)
    {
        var (caller, userId, reason, deadline, parameters, key) = start;
        var fields = string.Join("\n", parameters.Values.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + "=" + p.Value));
        // The same hash for the same request as before the contract (an action without fields hashes as the reset did),
        // so a key retried across the deploy is still the same request; the instance id carries the action's name.
        var requestHash = Hash($"{userId}\n{reason}\n{deadline}" + (fields.Length == 0 ? "" : "\n" + fields));
        // A key belongs to its caller: the same key for another user (or any other body) is a 409, never a second approval.
        var instanceId = key is null ? ApprovalIds.New(descriptor.Name, userId) : ApprovalIds.ForIdempotencyKey(descriptor.Name, caller.Id, key);
        if (key is not null && await client.GetInstanceAsync(instanceId, getInputsAndOutputs: true, cancellationToken) is { } earlier)
        {
            return SameRequest(earlier, requestHash) ? Accepted(request, instanceId) : KeyReused();
        }

        // Check the target before asking anyone: an unknown or disabled user starts nothing and creates no petition.
        var (target, refusal) = await TargetAsync(userId, descriptor.Doing ?? "asking for a " + descriptor.Title, cancellationToken);
        if (target is null)
        {
            return refusal!;
        }

        var (refusedTarget, failed) = await WithinRequestBudgetAsync(token => action.CheckTargetAsync(target, parameters, token), cancellationToken);
        if (failed is not null)
        {
            logger.LogWarning("Target check of {Action} for {UserId} failed: {Error}", descriptor.Name, userId, failed.Message);
            return Problem(StatusCodes.Status503ServiceUnavailable, "Target unavailable", $"Whether user {userId} can be given a {descriptor.Title} could not be checked just now ({ApprovalOrchestrator.Shorten(failed.Message)}); nothing was started. Try again shortly.");
        }

        if (refusedTarget is not null)
        {
            return Problem(refusedTarget.Status, refusedTarget.Title, refusedTarget.Detail);
        }

        var input = new ApprovalInput(descriptor.Name, userId, reason, deadline, options.PollInitialSeconds, options.PollMaxSeconds, requestHash, timeProvider.GetUtcNow(),
            RequestedBy: caller.AsRequester(), Target: new TargetUser(target.Id, target.DisplayName, target.SignInNames), Parameters: parameters);
        if (await StartOnceAsync(client, nameof(ActionOrchestrator), input, instanceId, key is not null, cancellationToken) is { } conflict)
        {
            return conflict;
        }

        logger.LogInformation("Approval {InstanceId}: {Action} for user {UserId} asked for by {Requester}", instanceId, descriptor.Name, userId, caller.Email);
        return Accepted(request, instanceId);
    }

    static string? Text(JsonObject body, string name, Dictionary<string, string[]> errors)
    {
        if (body[name] is not { } node)
        {
            return null;
        }

        if (node.GetValueKind() == JsonValueKind.String)
        {
            return node.GetValue<string>();
        }

        errors[name] = [$"{name} must be text."];
        return null;
    }

    static int? Number(JsonObject body, string name, Dictionary<string, string[]> errors)
    {
        if (body[name] is not { } node)
        {
            return null;
        }

        if (node.GetValueKind() == JsonValueKind.Number && int.TryParse(node.ToJsonString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }

        errors[name] = [$"{name} must be a whole number."];
        return null;
    }
}
