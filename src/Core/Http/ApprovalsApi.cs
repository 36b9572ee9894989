using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Approvals.Core.Secrets;
using Approvals.Core.Workflow;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Approvals.Core.Http;

/// <summary>The public HTTP contract, written once against ASP.NET Core types; the Functions app and the local host
/// both call these methods. Bad input gets <c>application/problem+json</c> and starts nothing.</summary>
public sealed partial class ApprovalsApi(
    IOptions<WorkflowOptions> workflowOptions,
    IOptions<ApiOptions> apiOptions,
    SecretsReadiness readiness,
    IApprovalHistorySource history,
    Indent.IndentClient indent,
    TimeProvider timeProvider,
    ILogger<ApprovalsApi> logger)
{
    readonly WorkflowOptions options = workflowOptions.Value;
    readonly ApiOptions api = apiOptions.Value;

    public const int MaxBodyBytes = 4096;
    public const int MaxReasonLength = 500;
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    public async Task<Results<Accepted<StartedResponse>, ProblemHttpResult, ValidationProblem>> StartPasswordResetAsync(HttpRequest request, DurableTaskClient client, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(client);
        if (await NotReadyAsync(readiness, cancellationToken) is { } notReady)
        {
            return notReady;
        }

        using var span = Telemetry.ApprovalsTelemetry.Source.StartActivity("approvals.start");
        var (body, bodyProblem) = await RequestBody.ReadJsonAsync(request, MaxBodyBytes, ApiJsonContext.Default.PasswordResetBody, optional: false, cancellationToken);
        if (body is null)
        {
            return bodyProblem!;
        }

        var errors = Validate(body);
        var keys = request.Headers[IdempotencyKeyHeader];
        string? key = null;
        if (keys.Count > 1)
        {
            errors[IdempotencyKeyHeader] = ["Give the Idempotency-Key header once."];
        }
        else if (keys.Count == 1)
        {
            key = keys[0];
            if (string.IsNullOrEmpty(key) || key.Length > 128 || key.Any(c => c < '!' || c > '~'))
            {
                errors[IdempotencyKeyHeader] = ["Idempotency-Key must be 1 to 128 printable ASCII characters without spaces."];
            }
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "The request is not valid");
        }

        var userId = body.UserId!;
        var reason = TrimReason(body.Reason)!;
        var deadline = body.DeadlineSeconds ?? options.DefaultDeadlineSeconds;
        var requestHash = Hash($"{userId}\n{reason}\n{deadline}");
        var instanceId = key is null ? ApprovalIds.New(WorkflowLabels.ResetPasswordAction, userId) : ApprovalIds.ForIdempotencyKey(WorkflowLabels.ResetPasswordAction, userId, key);
        var input = new ApprovalInput(WorkflowLabels.ResetPasswordAction, userId, reason, deadline, options.PollInitialSeconds, options.PollMaxSeconds, requestHash, timeProvider.GetUtcNow());

        try
        {
            // Dedupe on every status: one instance per key, ever, decided atomically by the backend (no check-then-start race).
            await client.ScheduleNewOrchestrationInstanceAsync(
                nameof(ApprovalOrchestrator), input, new Microsoft.DurableTask.StartOrchestrationOptions(instanceId).WithDedupeStatuses(AllStatuses), cancellationToken);
            logger.LogInformation("Approval {InstanceId} started for user {UserId}", instanceId, userId);
            Telemetry.ApprovalsTelemetry.Started.Add(1);
        }
        catch (Exception e) when (key is not null && IsAlreadyExists(e))
        {
            var existing = await client.GetInstanceAsync(instanceId, getInputsAndOutputs: true, cancellationToken);
            var existingInput = existing?.ReadInputAs<ApprovalInput>();
            if (existingInput is null || existingInput.RequestHash != requestHash)
            {
                return Problem(StatusCodes.Status409Conflict, "Idempotency key reused", "This Idempotency-Key was already used for a different request; use a new key.");
            }

            logger.LogInformation("Approval {InstanceId} already exists for this idempotency key", instanceId);
        }

        return Accepted(request, instanceId);
    }

    static readonly OrchestrationRuntimeStatus[] AllStatuses =
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

    Dictionary<string, string[]> Validate(PasswordResetBody body)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (string.IsNullOrEmpty(body.UserId))
        {
            errors["userId"] = ["userId is required."];
        }
        else if (!UserIdPattern().IsMatch(body.UserId))
        {
            errors["userId"] = ["userId must be 1 to 64 characters: letters, digits, '.', '_', '@' or '-', starting with a letter or digit."];
        }

        var reason = TrimReason(body.Reason);
        if (string.IsNullOrEmpty(reason))
        {
            errors["reason"] = ["reason is required: say why the password must be reset."];
        }
        else if (reason.Length > MaxReasonLength)
        {
            errors["reason"] = [$"reason must be at most {MaxReasonLength} characters."];
        }
        else if (!IsPlainText(reason))
        {
            errors["reason"] = ["reason must be one line of text, without control or formatting characters."];
        }

        if (body.DeadlineSeconds is { } deadline && (deadline < WorkflowOptions.MinDeadlineSeconds || deadline > options.MaxDeadlineSeconds))
        {
            errors["deadlineSeconds"] = [$"deadlineSeconds must be from {WorkflowOptions.MinDeadlineSeconds} to {options.MaxDeadlineSeconds}."];
        }

        return errors;
    }

    /// <summary>Surrounding spaces, tabs and line breaks are dropped; anything else is kept and judged.</summary>
    static string? TrimReason(string? reason) => reason?.Trim(' ', '\t', '\r', '\n');

    /// <summary>No control characters (line breaks included) and no format characters (bidi overrides, zero-width),
    /// which could disguise what an approver reads. Surrogate pairs (emoji) are fine.</summary>
    internal static bool IsPlainText(string text) =>
        !text.Any(c => char.IsControl(c) || char.GetUnicodeCategory(c) == UnicodeCategory.Format);

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex UserIdPattern();

    public async Task<Results<JsonHttpResult<ApprovalView>, ProblemHttpResult>> GetStatusAsync(string? id, DurableTaskClient client, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        if (!ApprovalIds.IsValid(id))
        {
            return NotFound(id);
        }

        var metadata = await client.GetInstanceAsync(id!, getInputsAndOutputs: true, cancellationToken);
        if (metadata is null)
        {
            logger.LogDebug("Status asked for unknown approval {InstanceId}", id);
            return NotFound(id);
        }

        return TypedResults.Json(ToView(metadata, indent.Space), ApiJsonContext.Default.ApprovalView);
    }

    /// <summary>The public view of an instance: the workflow's own status while it runs, its typed outcome after.</summary>
    public static ApprovalView ToView(OrchestrationMetadata metadata, string? space = null)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        var progress = SafeRead(() => metadata.ReadCustomStatusAs<ApprovalProgressStatus>());
        var result = metadata.RuntimeStatus == OrchestrationRuntimeStatus.Completed ? SafeRead(() => metadata.ReadOutputAs<ApprovalResult>()) : null;
        var input = SafeRead(() => metadata.ReadInputAs<ApprovalInput>());
        var status = metadata.RuntimeStatus switch
        {
            OrchestrationRuntimeStatus.Completed => result?.Status ?? ApprovalStatuses.Failed,
            OrchestrationRuntimeStatus.Failed => ApprovalStatuses.Failed,
            OrchestrationRuntimeStatus.Terminated => ApprovalStatuses.Cancelled,
            OrchestrationRuntimeStatus.Pending => ApprovalStatuses.Pending,
            _ => progress?.Status ?? ApprovalStatuses.Pending,
        };
        var reset = result?.Result;
        return new ApprovalView
        {
            Id = metadata.InstanceId,
            Status = status,
            Petition = result?.Petition ?? progress?.Petition,
            ElapsedSeconds = progress?.ElapsedSeconds ?? 0,
            DecidedBy = result?.DecidedBy ?? progress?.DecidedBy,
            CreatedAt = metadata.CreatedAt,
            UpdatedAt = metadata.LastUpdatedAt,
            Result = reset is null ? null : new ApprovalResultView(reset.UserId, reset.CredentialReference, reset.ExpiresOn, reset.ForceChangeAtNextSignIn),
            Detail = result?.Detail ?? progress?.Detail,
            PollCount = result?.PollCount ?? progress?.PollCount ?? 0,
            NextPollAt = status == ApprovalStatuses.AwaitingApproval ? progress?.NextPollAt : null,
            UserId = input?.UserId,
            Space = space,
        };
    }

    static T? SafeRead<T>(Func<T?> read)
        where T : class
    {
        try
        {
            return read();
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or NotSupportedException or InvalidOperationException)
        {
            return null;
        }
    }

    public async Task<Results<Accepted<CancelAccepted>, ProblemHttpResult, ValidationProblem>> CancelAsync(string? id, HttpRequest request, DurableTaskClient client, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(client);
        if (!ApprovalIds.IsValid(id))
        {
            return NotFound(id);
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

        // With inputs and outputs: the custom status (approved while the action runs) comes only with them.
        var metadata = await client.GetInstanceAsync(id!, getInputsAndOutputs: true, cancellationToken);
        if (metadata is null)
        {
            return NotFound(id);
        }

        var progress = SafeRead(() => metadata.ReadCustomStatusAs<ApprovalProgressStatus>());
        if (metadata.IsCompleted || progress?.Status is ApprovalStatuses.Approved || (progress is not null && ApprovalStatuses.IsFinal(progress.Status)))
        {
            return Problem(StatusCodes.Status409Conflict, "Already decided", $"Approval {id} is {(metadata.IsCompleted ? "finished" : progress!.Status)}; it can no longer be cancelled.");
        }

        await client.RaiseEventAsync(id!, ApprovalEvents.Cancel, new CancelRequest(reason), cancellationToken);
        logger.LogInformation("Cancel requested for approval {InstanceId}", id);
        return TypedResults.Accepted((string?)null, new CancelAccepted(id!, "cancelling"));
    }

    public async Task<Results<JsonHttpResult<HistoryView>, ProblemHttpResult>> GetHistoryAsync(string? id, DurableTaskClient client, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        if (!ApprovalIds.IsValid(id))
        {
            return NotFound(id);
        }

        var metadata = await client.GetInstanceAsync(id!, getInputsAndOutputs: true, cancellationToken);
        if (metadata is null)
        {
            return NotFound(id);
        }

        var view = ToView(metadata, indent.Space);
        var entries = new List<AuditEntry>(await history.ReadAsync(client, id!, cancellationToken));
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
        return TypedResults.Json(new HistoryView(id!, view.Status, view.Petition, phase, entries, petitionError), ApiJsonContext.Default.HistoryView);
    }

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

    static ProblemHttpResult NotFound(string? id) =>
        Problem(StatusCodes.Status404NotFound, "Approval not found", ApprovalIds.IsValid(id) ? $"There is no approval {id}." : "That is not an approval id.");

    /// <summary><c>GET /api/health</c>: 200 when every required secret can be read, else 503 naming the missing ones.</summary>
    public static async Task<JsonHttpResult<HealthView>> HealthAsync(SecretsReadiness readiness, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(readiness);
        var missing = await readiness.MissingAsync(cancellationToken);
        return missing.Count == 0
            ? TypedResults.Json(new HealthView("ok"), ApiJsonContext.Default.HealthView)
            : TypedResults.Json(new HealthView("unconfigured", missing), ApiJsonContext.Default.HealthView, statusCode: StatusCodes.Status503ServiceUnavailable);
    }

    /// <summary>503 problem+json while a required secret is missing; <c>null</c> when ready.</summary>
    public static async Task<ProblemHttpResult?> NotReadyAsync(SecretsReadiness readiness, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(readiness);
        var missing = await readiness.MissingAsync(cancellationToken);
        return missing.Count == 0
            ? null
            : Problem(StatusCodes.Status503ServiceUnavailable, "Not configured yet", $"These settings cannot be read yet: {string.Join(", ", missing)}. See docs/DEPLOY.md, step 2.");
    }

    public static ProblemHttpResult Problem(int status, string title, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title);

    static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..32];
}
