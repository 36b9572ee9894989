using System.Text.RegularExpressions;
using Approvals.Core.Identity;
using Approvals.Core.Workflow;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Approvals.Core.Http;

/// <summary>Time-boxed access: <c>GET /api/resources</c> and <c>POST /api/access-requests</c>.</summary>
public sealed partial class ApprovalsApi
{
    public const int MaxResourceLength = 200;

    /// <summary><c>GET /api/resources</c>: Indent's requestable resources that this deployment can grant (those mapped to
    /// a group in <c>APPROVALS_ACCESS_GROUPS</c>), and the durations one may ask for.</summary>
    public async Task<Results<JsonHttpResult<ResourcesView>, ProblemHttpResult>> ListResourcesAsync(HttpRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (await NotReadyAsync(readiness, cancellationToken) is { } notReady)
        {
            return notReady;
        }

        var (caller, refused) = await CallerAuthentication.AuthenticateAsync(request.HttpContext, ApprovalsRoles.Request);
        if (caller is null)
        {
            return refused!;
        }

        var (resources, unavailable) = await RequestableAsync(cancellationToken);
        return resources is null
            ? unavailable!
            : TypedResults.Json(new ResourcesView(resources, access.MinSeconds, access.MaxSeconds, access.DefaultSeconds), ApiJsonContext.Default.ResourcesView);
    }

    /// <summary><c>POST /api/access-requests</c>: starts an <see cref="AccessOrchestrator"/> for the caller. The resource
    /// must be requestable and mapped; bad input, an unknown resource or Indent being unreachable start nothing.</summary>
    public async Task<Results<Accepted<StartedResponse>, ProblemHttpResult, ValidationProblem>> StartAccessRequestAsync(HttpRequest request, DurableTaskClient client, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(client);
        using var span = Telemetry.ApprovalsTelemetry.Source.StartActivity("approvals.start");
        var (caller, body, key, refused) = await ReadValidStartAsync(request, ApiJsonContext.Default.AccessRequestBody, Validate, cancellationToken);
        if (caller is null || body is null)
        {
            return refused!;
        }

        var asked = body.Resource!.Trim();
        var reason = TrimReason(body.Reason)!;
        var duration = body.DurationSeconds ?? access.DefaultSeconds;
        var deadline = body.DeadlineSeconds ?? options.DefaultDeadlineSeconds;
        var requestHash = Hash($"{WorkflowLabels.AccessAction}\n{asked}\n{reason}\n{duration}\n{deadline}");
        var instanceId = key is null ? ApprovalIds.New(WorkflowLabels.AccessAction, Slug(asked)) : ApprovalIds.ForIdempotencyKey(WorkflowLabels.AccessAction, caller.Id, key);
        if (key is not null && await client.GetInstanceAsync(instanceId, getInputsAndOutputs: true, cancellationToken) is { } earlier)
        {
            return SameRequest(earlier, requestHash) ? Accepted(request, instanceId) : KeyReused();
        }

        var (resources, unavailable) = await RequestableAsync(cancellationToken);
        if (resources is null)
        {
            return unavailable!;
        }

        var resource = resources.FirstOrDefault(r => r.Id == asked) ?? resources.FirstOrDefault(r => string.Equals(r.DisplayName, asked, StringComparison.OrdinalIgnoreCase));
        if (resource is null)
        {
            var known = resources.Count == 0 ? "none is" : string.Join(", ", resources.Select(r => $"{r.DisplayName} ({r.Id})")) + (resources.Count == 1 ? " is" : " are");
            return Problem(StatusCodes.Status404NotFound, "Unknown resource", $"There is no requestable resource {asked} that this deployment can grant ({known}); nothing was started.");
        }

        if (await StandingMemberAsync(request, access.Groups[resource.Id], caller, resource.DisplayName, cancellationToken) is { } standing)
        {
            return standing;
        }

        var input = new ApprovalInput(WorkflowLabels.AccessAction, caller.Id, reason, deadline, options.PollInitialSeconds, options.PollMaxSeconds, requestHash, timeProvider.GetUtcNow(),
            RequestedBy: caller.AsRequester(), Access: new AccessRequest(resource.Id, resource.Kind, resource.DisplayName, access.Groups[resource.Id], duration));
        if (await StartOnceAsync(client, nameof(AccessOrchestrator), input, instanceId, key is not null, cancellationToken) is { } conflict)
        {
            return conflict;
        }

        logger.LogInformation("Access {InstanceId} to {Resource} for {Seconds} s asked for by {Requester}", instanceId, resource.Id, duration, caller.Email);
        return Accepted(request, instanceId);
    }

    /// <summary>409 when the caller already is a member of the group (access they hold is not ours to grant, nor to
    /// take away at the end), 503 when the directory cannot say; null when they are not a member.</summary>
    async Task<ProblemHttpResult?> StandingMemberAsync(HttpRequest request, string groupId, Caller caller, string resourceName, CancellationToken cancellationToken)
    {
        var groups = request.HttpContext.RequestServices.GetRequiredService<Actions.IGroupMembership>();
        try
        {
            return await groups.IsMemberAsync(groupId, caller.Id, cancellationToken)
                ? Problem(StatusCodes.Status409Conflict, "Already a member", $"{caller.Email} is already a member of group {groupId} ({resourceName}): there is nothing to grant, and a time-boxed grant would end by removing access it did not give. Nothing was started.")
                : null;
        }
        catch (PermanentActivityFailureException e) when (e.InnerException is Actions.GraphRefusedException { StatusCode: System.Net.HttpStatusCode.NotFound } missing
            && missing.GraphMessage?.Contains($"'{caller.Id}'", StringComparison.OrdinalIgnoreCase) == true)
        {
            // Graph names the object it cannot find: the caller — not a person of this directory. (A missing group
            // falls through to the 503 below, with Graph's reason naming it.)
            return Problem(StatusCodes.Status403Forbidden, "Not a directory person", $"{caller.Email} (object id {caller.Id}) is not a user of this directory, so no membership can be granted to them; nothing was started.");
        }
        catch (Exception e) when (e is HttpRequestException or PermanentActivityFailureException or TaskCanceledException or Polly.Timeout.TimeoutRejectedException && !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("Membership of {Requester} in {Group} could not be checked: {Error}", caller.Id, groupId, e.Message);
            return Problem(StatusCodes.Status503ServiceUnavailable, "Directory unavailable", $"Whether you already are a member of group {groupId} could not be checked just now ({ApprovalOrchestrator.Shorten(e.Message)}); nothing was started. Try again shortly.");
        }
    }

    /// <summary>Indent's requestable resources that have a group here, or the 503 when Indent cannot be read.</summary>
    async Task<(IReadOnlyList<RequestableResourceView>? Resources, ProblemHttpResult? Unavailable)> RequestableAsync(CancellationToken cancellationToken)
    {
        var found = new List<RequestableResourceView>();
        try
        {
            await foreach (var r in indent.ListResourcesAsync(view: "requestable", cancellationToken: cancellationToken))
            {
                if (r.Id is { } id && access.Groups.ContainsKey(id))
                {
                    found.Add(new RequestableResourceView(id, r.Kind ?? "resource", string.IsNullOrWhiteSpace(r.DisplayName) ? id : r.DisplayName));
                }
            }
        }
        catch (Exception e) when (e is Indent.IndentApiException or HttpRequestException or TaskCanceledException or Polly.Timeout.TimeoutRejectedException && !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("Requestable resources could not be read from Indent: {Error}", e.Message);
            return (null, Problem(StatusCodes.Status503ServiceUnavailable, "Indent unavailable", "The requestable resources could not be read from Indent just now; nothing was started. Try again shortly."));
        }

        return (found, null);
    }

    Dictionary<string, string[]> Validate(AccessRequestBody body)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var resource = body.Resource?.Trim();
        if (string.IsNullOrEmpty(resource))
        {
            errors["resource"] = ["resource is required: a requestable resource's id or display name (GET /api/resources lists them)."];
        }
        else if (resource.Length > MaxResourceLength || !IsPlainText(resource))
        {
            errors["resource"] = [$"resource must be one line of at most {MaxResourceLength} characters."];
        }

        ValidateReason(body.Reason, "say why you need the access", errors);
        if (body.DurationSeconds is { } duration && (duration < access.MinSeconds || duration > access.MaxSeconds))
        {
            errors["durationSeconds"] = [$"durationSeconds must be from {access.MinSeconds} to {access.MaxSeconds}."];
        }

        ValidateDeadline(body.DeadlineSeconds, errors);
        return errors;
    }

    /// <summary>A readable piece of an instance id from a resource id or name (<c>access-production-…</c>).</summary>
    static string Slug(string text)
    {
        var slug = SlugPattern().Replace(text.ToLowerInvariant(), "-").Trim('-', '.', '_', '@');
        return slug.Length == 0 ? "resource" : slug[..Math.Min(slug.Length, 48)].TrimEnd('-', '.', '_', '@');
    }

    [GeneratedRegex("[^a-z0-9._@-]+", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex SlugPattern();
}
