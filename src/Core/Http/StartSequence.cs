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

/// <summary>The start sequence every starter shares: readiness → caller → body → the requester as a directory person → idempotency; the target check; starting once; the 202.</summary>
public sealed partial class ApprovalsApi
{
    /// <summary>What every start does first, in this order: 503 until the secrets can be read, then the caller's token
    /// (<c>Approvals.Request</c>), then the body (JSON, at most <see cref="MaxBodyBytes"/>). The refusal when any fails.</summary>
    async Task<(Caller? Caller, T? Body, ProblemHttpResult? Refused)> ReadStartAsync<T>(HttpRequest request, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, CancellationToken cancellationToken)
        where T : class
    {
        if (await NotReadyAsync(readiness, cancellationToken) is { } notReady)
        {
            return (null, null, notReady);
        }

        var (caller, refused) = await CallerAuthentication.AuthenticateAsync(request.HttpContext, ApprovalsRoles.Request);
        if (caller is null)
        {
            return (null, null, refused);
        }

        var (body, problem) = await RequestBody.ReadJsonAsync(request, MaxBodyBytes, type, optional: false, cancellationToken);
        if (body is null)
        {
            return (caller, null, problem);
        }

        var (requester, notAPerson) = await RequesterAsync(caller, cancellationToken);
        return requester is null ? (null, null, notAPerson) : (caller with { Email = requester.Email, Name = requester.Name }, body, null);
    }

    /// <summary>The caller as a directory person, looked up by the token's object id before anything starts: the requester
    /// the workflow carries and Indent shows as petitioner (object id, mail else user principal name, display name —
    /// the directory's, not the token's). 403 when the directory has no such user or the account is disabled; 503 when
    /// the directory cannot be asked.</summary>
    async Task<(Requester? Requester, ProblemHttpResult? Refused)> RequesterAsync(Caller caller, CancellationToken cancellationToken)
    {
        DirectoryUser? person;
        try
        {
            person = await directory.FindUserAsync(caller.Id, cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or GraphRefusedException or TaskCanceledException or Polly.Timeout.TimeoutRejectedException && !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("Directory lookup of the requester {Requester} failed: {Error}", caller.Id, e.Message);
            return (null, Problem(StatusCodes.Status503ServiceUnavailable, "Directory unavailable", "The directory could not be asked who you are just now; nothing was started. Try again shortly."));
        }

        if (person is null || !person.Enabled)
        {
            return (null, Problem(StatusCodes.Status403Forbidden, "Not a directory person", person is null
                ? $"Your token's object id ({caller.Id}) is not a user of this directory, so no approval can be asked for in your name; nothing was started."
                : $"Your account ({caller.Id}) is disabled in the directory; nothing was started."));
        }

        return (new Requester(person.Id, FirstText(person.Mail, person.UserPrincipalName) ?? person.Id, FirstText(person.DisplayName, caller.Name)), null);
    }

    static string? FirstText(params string?[] values) => values.FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));

    /// <summary>The Idempotency-Key header, if given once and well-formed; otherwise records the problem in <paramref name="errors"/>.</summary>
    static string? ReadIdempotencyKey(HttpRequest request, Dictionary<string, string[]> errors)
    {
        var keys = request.Headers[IdempotencyKeyHeader];
        if (keys.Count > 1)
        {
            errors[IdempotencyKeyHeader] = ["Give the Idempotency-Key header once."];
            return null;
        }

        var key = keys.Count == 1 ? keys[0] : null;
        if (key is not null && (key.Length == 0 || key.Length > 128 || key.Any(c => c < '!' || c > '~')))
        {
            errors[IdempotencyKeyHeader] = ["Idempotency-Key must be 1 to 128 printable ASCII characters without spaces."];
        }

        return key;
    }

    /// <summary>Starts <paramref name="orchestrator"/> as <paramref name="instanceId"/>, once ever: the backend dedupes on
    /// every status, atomically (no check-then-start race). Null when started, or when a keyed request finds its own
    /// earlier twin; the 409 when the key was used for something else.</summary>
    async Task<ProblemHttpResult?> StartOnceAsync(DurableTaskClient client, string orchestrator, ApprovalInput input, string instanceId, bool keyed, CancellationToken cancellationToken)
    {
        try
        {
            await client.ScheduleNewOrchestrationInstanceAsync(orchestrator, input, new Microsoft.DurableTask.StartOrchestrationOptions(instanceId) { Version = WorkflowVersions.Current }.WithDedupeStatuses(AllStatuses), cancellationToken);
            Telemetry.ApprovalsTelemetry.Started.Add(1);
            return null;
        }
        catch (Exception e) when (keyed && IsAlreadyExists(e))
        {
            var existing = await client.GetInstanceAsync(instanceId, getInputsAndOutputs: true, cancellationToken);
            if (existing is null || !SameRequest(existing, input.RequestHash))
            {
                return KeyReused();
            }

            logger.LogInformation("Approval {InstanceId} already exists for this idempotency key", instanceId);
            return null;
        }
    }

    static bool SameRequest(OrchestrationMetadata existing, string requestHash) =>
        SafeRead(() => existing.ReadInputAs<ApprovalInput>())?.RequestHash == requestHash;

    static ProblemHttpResult KeyReused() =>
        Problem(StatusCodes.Status409Conflict, "Idempotency key reused", "You already used this Idempotency-Key for a different request (another user, reason or deadline); use a new key.");

    internal static readonly OrchestrationRuntimeStatus[] AllStatuses =
    [
        OrchestrationRuntimeStatus.Pending, OrchestrationRuntimeStatus.Running, OrchestrationRuntimeStatus.Completed,
        OrchestrationRuntimeStatus.Failed, OrchestrationRuntimeStatus.Terminated, OrchestrationRuntimeStatus.Suspended,
    ];

    /// <summary>The backend refused a duplicate instance id. DurableTask.Core's
    /// <see cref="DurableTask.Core.Exceptions.OrchestrationAlreadyExistsException"/> where a host surfaces it as a type;
    /// the gRPC clients of both hosts (the local sidecar, the Functions host's durable client) carry it only as the
    /// failure's text, so for them the message is matched — the one place we do.</summary>
    static bool IsAlreadyExists(Exception e) =>
        e is DurableTask.Core.Exceptions.OrchestrationAlreadyExistsException
        || e.Message.Contains("already exists", StringComparison.OrdinalIgnoreCase)
        || (e.InnerException is { } inner && IsAlreadyExists(inner));

    static void ValidateReason(string? text, string why, Dictionary<string, string[]> errors)
    {
        var reason = TrimReason(text);
        if (string.IsNullOrEmpty(reason))
        {
            errors["reason"] = [$"reason is required: {why}."];
        }
        else if (reason.Length > MaxReasonLength)
        {
            errors["reason"] = [$"reason must be at most {MaxReasonLength} characters."];
        }
        else if (!IsPlainText(reason))
        {
            errors["reason"] = ["reason must be one line of text, without control or formatting characters."];
        }
    }

    void ValidateDeadline(int? seconds, Dictionary<string, string[]> errors)
    {
        if (seconds is { } deadline && (deadline < WorkflowOptions.MinDeadlineSeconds || deadline > options.MaxDeadlineSeconds))
        {
            errors["deadlineSeconds"] = [$"deadlineSeconds must be from {WorkflowOptions.MinDeadlineSeconds} to {options.MaxDeadlineSeconds}."];
        }
    }

    /// <summary>Surrounding spaces, tabs and line breaks are dropped; anything else is kept and judged.</summary>
    static string? TrimReason(string? reason) => reason?.Trim(' ', '\t', '\r', '\n');

    /// <summary>No control characters (line breaks included) and no format characters (bidi overrides, zero-width),
    /// which could disguise what an approver reads. Surrogate pairs (emoji) are fine.</summary>
    internal static bool IsPlainText(string text) =>
        !text.Any(c => char.IsControl(c) || char.GetUnicodeCategory(c) == UnicodeCategory.Format);

    Accepted<StartedResponse> Accepted(HttpRequest request, string instanceId)
    {
        var root = $"{PublicBase(request)}/api/approvals/{Uri.EscapeDataString(instanceId)}";
        // Carry a function key, if the caller used one, so the links work as given (Durable's check-status URLs do the same).
        var code = request.Query["code"].ToString();
        var suffix = string.IsNullOrEmpty(code) ? "" : "?code=" + Uri.EscapeDataString(code);
        return TypedResults.Accepted(root + suffix, new StartedResponse(instanceId, root + suffix, root + "/cancel" + suffix, root + "/history" + suffix));
    }

    /// <summary>Where callers reach us: <c>APPROVALS_PUBLIC_BASE_URL</c> when set; else what a proxy in front says
    /// (<c>X-Forwarded-Proto</c>/<c>X-Forwarded-Host</c>, first hop); else the request itself. Links that carry a
    /// function key must name the public https host, not the worker's loopback hop.</summary>
    string PublicBase(HttpRequest request)
    {
        if (api.PublicBaseUrl is { } configured)
        {
            return configured.ToString().TrimEnd('/');
        }

        var scheme = FirstHop(request.Headers["X-Forwarded-Proto"]) is { } proto && proto is "http" or "https" ? proto : request.Scheme;
        var host = FirstHop(request.Headers["X-Forwarded-Host"]) is { } forwarded && HostString.FromUriComponent(forwarded) is { HasValue: true } parsed
            && Uri.CheckHostName(parsed.Host) != UriHostNameType.Unknown
            ? parsed
            : request.Host;
        return $"{scheme}://{host.ToUriComponent()}{request.PathBase}";
    }

    static string? FirstHop(Microsoft.Extensions.Primitives.StringValues values) =>
        values.Count == 0 ? null : values[0]?.Split(',')[0].Trim() is { Length: > 0 } first ? first.ToLowerInvariant() : null;

    static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..32];

    /// <summary>The target user as the directory has them, before anyone is asked: 404 when unknown, 409 when disabled
    /// (<paramref name="before"/> says what enabling the account allows), 503 when the directory cannot be asked.</summary>
    async Task<(DirectoryUser? Target, ProblemHttpResult? Refused)> TargetAsync(string userId, string before, CancellationToken cancellationToken)
    {
        var (target, failed) = await WithinRequestBudgetAsync(token => directory.FindUserAsync(userId, token), cancellationToken);
        if (failed is not null)
        {
            logger.LogWarning("Directory lookup of {UserId} failed: {Error}", userId, failed.Message);
            return (null, Problem(StatusCodes.Status503ServiceUnavailable, "Directory unavailable", $"The directory could not be asked about user {userId} just now ({(failed is HttpRequestException { StatusCode: { } code } ? "HTTP " + (int)code : "no answer")}); nothing was started. Try again shortly."));
        }

        if (target is null)
        {
            return (null, Problem(StatusCodes.Status404NotFound, "Unknown user", $"There is no user {userId} in the directory; nothing was started."));
        }

        return target.Enabled
            ? (target, null)
            : (null, Problem(StatusCodes.Status409Conflict, "User disabled", $"User {userId} is disabled in the directory; enable the account before {before}. Nothing was started."));
    }

    /// <summary>Runs a directory call made while the request waits, within <see cref="GraphResilience.RequestPathTimeout"/>
    /// (the Graph clients of the workflow's own calls may wait minutes for a throttle): its result, or why the directory
    /// could not answer (a refusal, a timeout, the budget spent). The request's own abort propagates.</summary>
    static async Task<(T? Value, Exception? Failed)> WithinRequestBudgetAsync<T>(Func<CancellationToken, Task<T>> call, CancellationToken requestAborted)
    {
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(requestAborted);
        budget.CancelAfter(GraphResilience.RequestPathTimeout);
        try
        {
            return (await call(budget.Token), null);
        }
        catch (Exception e) when (e is HttpRequestException or Polly.Timeout.TimeoutRejectedException or OperationCanceledException && !requestAborted.IsCancellationRequested)
        {
            return (default, e is OperationCanceledException ? new TimeoutException($"no answer within {GraphResilience.RequestPathTimeout.TotalSeconds:0} s", e) : e);
        }
    }

    static void ValidateUserId(string? userId, Dictionary<string, string[]> errors)
    {
        if (string.IsNullOrEmpty(userId))
        {
            errors["userId"] = ["userId is required."];
        }
        else if (!UserIdPattern().IsMatch(userId))
        {
            errors["userId"] = ["userId must be 1 to 64 characters: letters, digits, '.', '_', '@' or '-', starting with a letter or digit."];
        }
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex UserIdPattern();

    /// <summary><see cref="ReadStartAsync"/>, then the body's own checks and the Idempotency-Key: a typed body, its key,
    /// or the refusal (the field-named 400 when any check fails).</summary>
    async Task<(Caller? Caller, T? Body, string? Key, Results<Accepted<StartedResponse>, ProblemHttpResult, ValidationProblem>? Refused)> ReadValidStartAsync<T>(
        HttpRequest request, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, Func<T, Dictionary<string, string[]>> validate, CancellationToken cancellationToken)
        where T : class
    {
        var (caller, body, refused) = await ReadStartAsync(request, type, cancellationToken);
        if (caller is null || body is null)
        {
            return (null, null, null, refused!);
        }

        var errors = validate(body);
        var key = ReadIdempotencyKey(request, errors);
        return errors.Count > 0 ? (null, null, null, TypedResults.ValidationProblem(errors, title: "The request is not valid")) : (caller, body, key, null);
    }
}
