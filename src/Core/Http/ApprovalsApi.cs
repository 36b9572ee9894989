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

/// <summary>The public HTTP contract, written once against ASP.NET Core types; the Functions app and the local host
/// both call these methods. Bad input gets <c>application/problem+json</c> and starts nothing.</summary>
public sealed partial class ApprovalsApi(
    IOptions<WorkflowOptions> workflowOptions,
    IOptions<AccessOptions> accessOptions,
    IOptions<ApiOptions> apiOptions,
    SecretsReadiness readiness,
    IApprovalHistorySource history,
    Indent.IndentClient indent,
    IUserDirectory directory,
    ICredentialStore credentials,
    TimeProvider timeProvider,
    ILogger<ApprovalsApi> logger)
{
    readonly WorkflowOptions options = workflowOptions.Value;
    readonly ApiOptions api = apiOptions.Value;
    readonly AccessOptions access = accessOptions.Value;

    public const int MaxBodyBytes = 4096;
    public const int MaxReasonLength = 500;
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    public async Task<Results<Accepted<StartedResponse>, ProblemHttpResult, ValidationProblem>> StartPasswordResetAsync(HttpRequest request, DurableTaskClient client, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(client);
        using var span = Telemetry.ApprovalsTelemetry.Source.StartActivity("approvals.start");
        var (caller, body, refused) = await ReadStartAsync(request, ApiJsonContext.Default.PasswordResetBody, cancellationToken);
        if (caller is null || body is null)
        {
            return refused!;
        }

        var errors = Validate(body);
        var key = ReadIdempotencyKey(request, errors);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "The request is not valid");
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
        DirectoryUser? target;
        try
        {
            target = await directory.FindUserAsync(userId, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            logger.LogWarning("Directory lookup of {UserId} failed: {Error}", userId, e.Message);
            return Problem(StatusCodes.Status503ServiceUnavailable, "Directory unavailable", $"The directory could not be asked about user {userId} just now ({(e.StatusCode is { } code ? "HTTP " + (int)code : "no answer")}); nothing was started. Try again shortly.");
        }

        if (target is null)
        {
            return Problem(StatusCodes.Status404NotFound, "Unknown user", $"There is no user {userId} in the directory; nothing was started.");
        }

        if (!target.Enabled)
        {
            return Problem(StatusCodes.Status409Conflict, "User disabled", $"User {userId} is disabled in the directory; enable the account before resetting its password. Nothing was started.");
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

        ValidateReason(body.Reason, "say why the password must be reset", errors);
        ValidateDeadline(body.DeadlineSeconds, errors);
        return errors;
    }

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

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex UserIdPattern();

    public async Task<Results<JsonHttpResult<ApprovalView>, ProblemHttpResult>> GetStatusAsync(string? id, HttpRequest request, DurableTaskClient client, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(client);
        var (_, metadata, refused) = await LoadAsync(id, request, client, Access.Read, cancellationToken);
        if (metadata is null)
        {
            return refused!;
        }

        var view = ToView(metadata, indent.Space);
        if (view.Result is { } result)
        {
            view = view with { Credential = await CredentialStateAsync(metadata.InstanceId, result.ExpiresOn, client, cancellationToken) };
        }

        return TypedResults.Json(view, ApiJsonContext.Default.ApprovalView);
    }

    /// <summary>What a route lets a caller do with an approval, by app role: a requester acts on their own; an
    /// auditor reads any; an admin cancels any.</summary>
    internal enum Access
    {
        Read,
        Cancel,
        Reveal,
    }

    /// <summary>Authenticates the caller and loads the approval if they may see it. Someone who may not see it gets the
    /// same 404 as for an approval that does not exist; someone who may see it but not do this gets 403.</summary>
    async Task<(Caller? Caller, OrchestrationMetadata? Metadata, ProblemHttpResult? Refusal)> LoadAsync(string? id, HttpRequest request, DurableTaskClient client, Access access, CancellationToken cancellationToken)
    {
        string[] roles = access switch
        {
            Access.Read => [ApprovalsRoles.Request, ApprovalsRoles.Audit, ApprovalsRoles.Admin],
            Access.Cancel => [ApprovalsRoles.Request, ApprovalsRoles.Admin],
            _ => [ApprovalsRoles.Request],
        };
        var (caller, refused) = await CallerAuthentication.AuthenticateAsync(request.HttpContext, roles);
        if (caller is null)
        {
            return (null, null, refused);
        }

        if (!ApprovalIds.IsValid(id))
        {
            return (caller, null, NotFound(id));
        }

        var metadata = await client.GetInstanceAsync(id!, getInputsAndOutputs: true, cancellationToken);
        var owner = metadata is null ? null : SafeRead(() => metadata.ReadInputAs<ApprovalInput>())?.RequestedBy;
        var own = caller.Is(owner) && caller.Has(ApprovalsRoles.Request);
        var readable = own || caller.Has(ApprovalsRoles.Audit) || caller.Has(ApprovalsRoles.Admin);
        if (metadata is null || !readable)
        {
            logger.LogDebug("Approval {InstanceId} asked for by {Caller}: not found or not theirs", id, caller.Email);
            return (caller, null, NotFound(id));
        }

        var allowed = access switch
        {
            Access.Read => readable,
            Access.Cancel => own || caller.Has(ApprovalsRoles.Admin),
            _ => own,
        };
        return allowed
            ? (caller, metadata, null)
            : (caller, null, Problem(StatusCodes.Status403Forbidden, "Not allowed", access == Access.Cancel
                ? "Only the requester or an Approvals.Admin can cancel this approval."
                : "Only the requester can receive this approval's temporary password."));
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
            RequestedBy = input?.RequestedBy is { } by ? new RequesterView(by.Email, by.Name) : null,
            Kind = input?.Action,
            Access = input?.Access is { } asked ? AccessViewOf(asked, progress, result?.Access) : null,
            Target = input is { Action: WorkflowLabels.ResetPasswordAction, Target: { } target } ? new TargetView(target.Id, target.DisplayName, target.SignInNames.Count > 0 ? target.SignInNames[0] : null) : null,
        };
    }

    static AccessView AccessViewOf(AccessRequest asked, ApprovalProgressStatus? progress, AccessOutcome? outcome) =>
        outcome is not null
            ? new AccessView(asked.ResourceId, asked.ResourceName, asked.DurationSeconds, outcome.ActiveUntil, outcome.GrantedAt, outcome.EndedAt, outcome.EndedBecause)
            : new AccessView(asked.ResourceId, asked.ResourceName, asked.DurationSeconds, progress?.ActiveUntil);

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

        await client.RaiseEventAsync(id!, ApprovalEvents.Cancel, new CancelRequest(reason, caller!.Email), cancellationToken);
        logger.LogInformation("Cancel requested for approval {InstanceId} by {Caller}", id, caller.Email);
        return TypedResults.Accepted((string?)null, new CancelAccepted(id!, "cancelling"));
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

        var view = ToView(metadata);
        if (view.Result is not { } result)
        {
            return Problem(StatusCodes.Status409Conflict, "No temporary password", $"Approval {id} is {view.Status}; a temporary password exists only once the reset has completed.");
        }

        var state = await CredentialStateAsync(id!, result.ExpiresOn, client, cancellationToken);
        if (state.State != CredentialStates.Available)
        {
            if (state.State == CredentialStates.Expired && state.RevealedAt is null)
            {
                await StartRevealAsync(client, id!, CredentialStates.Expired, null, cancellationToken); // destroy it, once
            }

            return Gone(id!, state);
        }

        var stored = await credentials.GetAsync(PasswordResetService.CredentialName(id!), cancellationToken);
        if (stored is null)
        {
            return Gone(id!, state with { State = CredentialStates.Destroyed });
        }

        if (!await StartRevealAsync(client, id!, CredentialStates.Revealed, caller!.Email, cancellationToken))
        {
            return Gone(id!, await CredentialStateAsync(id!, result.ExpiresOn, client, cancellationToken));
        }

        logger.LogInformation("Temporary password of approval {InstanceId} revealed to {Caller}", id, caller.Email);
        request.HttpContext.Response.Headers.CacheControl = "no-store";
        request.HttpContext.Response.Headers.Pragma = "no-cache";
        return TypedResults.Json(new CredentialResponse(stored.Value, result.ExpiresOn, result.ForceChangeAtNextSignIn), ApiJsonContext.Default.CredentialResponse);
    }

    /// <summary>Starts the reveal's instance; false when one already exists (someone else revealed it, or it expired).</summary>
    async Task<bool> StartRevealAsync(DurableTaskClient client, string id, string outcome, string? by, CancellationToken cancellationToken)
    {
        try
        {
            var input = new CredentialRevealInput(id, PasswordResetService.CredentialName(id), outcome, by, timeProvider.GetUtcNow());
            await client.ScheduleNewOrchestrationInstanceAsync(nameof(CredentialRevealOrchestrator), input,
                new Microsoft.DurableTask.StartOrchestrationOptions(CredentialRevealOrchestrator.InstanceIdFor(id)) { Version = WorkflowVersions.Current }.WithDedupeStatuses(AllStatuses), cancellationToken);
            return true;
        }
        catch (Exception e) when (IsAlreadyExists(e))
        {
            return false;
        }
    }

    static ProblemHttpResult Gone(string id, CredentialView state) => Problem(StatusCodes.Status410Gone, "Temporary password gone", state.State switch
    {
        CredentialStates.Revealed => $"The temporary password of approval {id} was already handed out{(state.RevealedAt is { } at ? " at " + at.ToString("u", CultureInfo.InvariantCulture) : "")} and has been destroyed. Ask for a new reset if it was lost.",
        CredentialStates.Expired => $"The temporary password of approval {id} expired before it was collected and is destroyed. Ask for a new reset.",
        _ => $"The temporary password of approval {id} is no longer stored. Ask for a new reset.",
    });

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
