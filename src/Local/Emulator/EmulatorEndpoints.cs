using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Approvals.Core.Indent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Approvals.Local.Emulator;

/// <summary>Indent's API at <c>/indent/v1</c> and the emulator's own controls at <c>/indent/_admin</c>.</summary>
public static class EmulatorEndpoints
{
    public const string ApiPrefix = "/indent/v1";
    public const string AdminPrefix = "/indent/_admin";
    const int MaxBody = 1024 * 1024;

    /// <summary>Indent API calls served, by kind (for the benchmark's calls-per-approval figure).</summary>
    public static readonly ConcurrentDictionary<string, long> CallCounts = new(StringComparer.Ordinal);

    public static IEndpointRouteBuilder MapIndentEmulator(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup(ApiPrefix + "/spaces/{space}");
        api.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var emulator = http.RequestServices.GetRequiredService<IndentEmulator>();
            if (!Authorized(http, emulator) && !UserTokens.IsValid(Bearer(http), emulator.Options.Tokens))
            {
                return Error(401, 16, "missing or invalid bearer token");
            }

            var fault = http.RequestServices.GetRequiredService<FaultInjector>().ForCall(http.Request.Method, http.Request.Path.Value ?? "");
            if (fault.LatencyMs > 0)
            {
                if (emulator.Options.FaultPointDirectory is { } points)
                {
                    var kind = http.Request.Method + (http.Request.Path.Value ?? "").Replace('/', '_');
                    await Actions.FaultPoints.MarkAsync(Path.Combine(points, $"indent-held.{kind}.{Guid.NewGuid():N}"), TimeProvider.System, http.RequestAborted);
                }

                await Task.Delay(fault.LatencyMs, http.RequestAborted);
            }

            if (fault.Reset)
            {
                http.Abort();
                return Results.Empty;
            }

            if (fault.Status is { } status)
            {
                if (fault.RetryAfter is { } after)
                {
                    http.Response.Headers.RetryAfter = after.ToString(System.Globalization.CultureInfo.InvariantCulture);
                }

                return Error(status, status == 429 ? 8 : 14, $"injected fault: HTTP {status}");
            }

            if (!string.Equals(http.GetRouteValue("space") as string, emulator.Space, StringComparison.Ordinal))
            {
                return Error(404, 5, "space not found");
            }

            try
            {
                return await next(context);
            }
            catch (EmulatorException e)
            {
                return Error(e.HttpStatus, e.Code, e.Message);
            }
        });

        api.MapPost("/petitions", async (HttpContext http, IndentEmulator emulator) =>
        {
            Count("petitions.create");
            var body = await ReadAsync(http, IndentJsonContext.Default.CreatePetitionRequest);
            return Json(emulator.Create(body?.Petition, Actor(http)), IndentJsonContext.Default.Petition);
        });
        api.MapGet("/petitions", (string? labelSelector, string? pageSize, string? pageToken, IndentEmulator emulator) =>
        {
            Count("petitions.list");
            var (page, next) = emulator.List(labelSelector, PageSize(pageSize), pageToken);
            return Json(new ListPetitionsResponse { Petitions = page, NextPageToken = next }, IndentJsonContext.Default.ListPetitionsResponse);
        });
        api.MapGet("/petitions/{name}", (string name, IndentEmulator emulator) =>
        {
            Count("petitions.get");
            return Json(emulator.Get(name), IndentJsonContext.Default.Petition);
        });
        api.MapPost("/petitions/{name}/claims", async (string name, HttpContext http, IndentEmulator emulator) =>
        {
            Count("claims.create");
            var body = await ReadAsync(http, IndentJsonContext.Default.CreateClaimRequest);
            return Json(emulator.Claim(name, body?.Claim, Actor(http)), IndentJsonContext.Default.IndentEvent);
        });
        api.MapGet("/resources", (string? view, string? labelSelector, string? pageSize, string? pageToken, IndentEmulator emulator) =>
        {
            Count("resources.list");
            var (page, next) = emulator.ListResources(view, labelSelector, PageSize(pageSize), pageToken);
            return Json(new ListResourcesResponse { Resources = page, NextPageToken = next }, IndentJsonContext.Default.ListResourcesResponse);
        });
        api.MapGet("/resources/{name}", (string name, IndentEmulator emulator) =>
        {
            Count("resources.get");
            return Json(new GetResourceResponse { Resource = emulator.GetResource(name) }, IndentJsonContext.Default.GetResourceResponse);
        });
        api.MapPost("/resources:bulkUpdate", async (HttpContext http, IndentEmulator emulator) =>
        {
            Count("resources.bulkUpdate");
            var body = await ReadAsync(http, IndentJsonContext.Default.BulkUpdateResourcesRequest);
            return Json(new BulkUpdateResourcesResponse { Resources = emulator.BulkUpdate(body?.Resources) }, IndentJsonContext.Default.BulkUpdateResourcesResponse);
        });

        var admin = app.MapGroup(AdminPrefix);
        admin.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            if (!Authorized(http, http.RequestServices.GetRequiredService<IndentEmulator>()))
            {
                return Error(401, 16, "missing or invalid bearer token");
            }

            try
            {
                return await next(context);
            }
            catch (EmulatorException e)
            {
                return Error(e.HttpStatus, e.Code, e.Message);
            }
        });
        // A user's Indent API token, as real Indent issues them: claims made with it carry that person as the actor.
        admin.MapPost("/tokens", async (HttpContext http, IndentEmulator emulator) =>
        {
            var body = await ReadAsync(http, EmulatorJsonContext.Default.TokenRequest);
            if (body?.Email is not { Length: > 0 and <= 254 } email || !email.Contains('@', StringComparison.Ordinal) || email.Any(char.IsWhiteSpace))
            {
                throw EmulatorException.Invalid("body must be {\"email\":\"person@example.com\"}");
            }

            return Json(new TokenResponse(UserTokens.Issue(email, emulator.Options.Tokens[0])), EmulatorJsonContext.Default.TokenResponse);
        });
        admin.MapGet("/deliveries", (WebhookDispatcher dispatcher) => Json(new DeliveriesResponse(dispatcher.Deliveries), EmulatorJsonContext.Default.DeliveriesResponse));
        admin.MapGet("/rules", (IndentEmulator emulator) => Json(new RulesBody(emulator.Rules), EmulatorJsonContext.Default.RulesBody));
        admin.MapPut("/rules", async (HttpContext http, IndentEmulator emulator) =>
        {
            var body = await ReadAsync(http, EmulatorJsonContext.Default.RulesBody) ?? throw EmulatorException.Invalid("body must be {\"rules\":[...]}");
            emulator.SetRules(body.Rules ?? throw EmulatorException.Invalid("rules is required"));
            return Json(new RulesBody(emulator.Rules), EmulatorJsonContext.Default.RulesBody);
        });
        admin.MapGet("/faults", (FaultInjector faults) => Json(faults.Current, EmulatorJsonContext.Default.FaultSpec));
        admin.MapPut("/faults", async (HttpContext http, FaultInjector faults) =>
        {
            faults.Set(await ReadAsync(http, EmulatorJsonContext.Default.FaultSpec) ?? throw EmulatorException.Invalid("body must be a fault object"));
            return Json(faults.Current, EmulatorJsonContext.Default.FaultSpec);
        });
        admin.MapDelete("/faults", (FaultInjector faults) =>
        {
            faults.Clear();
            return Results.NoContent();
        });
        admin.MapGet("/stats", (IndentEmulator emulator, WebhookDispatcher dispatcher, FaultInjector faults) =>
        {
            var all = emulator.All();
            var deliveries = dispatcher.Deliveries;
            return Json(new EmulatorStats(
                all.Count,
                all.Count(p => p.Phase == IndentPhases.Open),
                all.Count(p => p.Phase == IndentPhases.Granted),
                all.Count(p => p.Phase == IndentPhases.Closed),
                all.Count(p => p.Phase == IndentPhases.Revoked),
                deliveries.Count(d => d.State == DeliveryState.Pending),
                deliveries.Count(d => d.State == DeliveryState.Delivered),
                deliveries.Count(d => d.State == DeliveryState.Failed),
                new Dictionary<string, long>(CallCounts),
                faults.Fired), EmulatorJsonContext.Default.EmulatorStats);
        });
        return app;
    }

    static int? PageSize(string? text) =>
        string.IsNullOrEmpty(text) ? null
        : int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n
        : throw EmulatorException.Invalid("pageSize must be a whole number");

    static void Count(string kind) => CallCounts.AddOrUpdate(kind, 1, (_, n) => n + 1);

    static string? Bearer(HttpContext http)
    {
        var header = http.Request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.Ordinal) ? header[7..].Trim() : null;
    }

    /// <summary>True for the emulator's own (service-account, admin) tokens.</summary>
    static bool Authorized(HttpContext http, IndentEmulator emulator)
    {
        if (Bearer(http) is not { } bearer)
        {
            return false;
        }

        var given = Encoding.UTF8.GetBytes(bearer);
        var ok = false;
        foreach (var token in emulator.Options.Tokens)
        {
            ok |= CryptographicOperations.FixedTimeEquals(given, Encoding.UTF8.GetBytes(token));
        }

        return ok;
    }

    /// <summary>The caller's identity: the token's <c>sub</c>, as Indent does.</summary>
    static string Actor(HttpContext http) =>
        IndentToken.TryGetSubject(http.Request.Headers.Authorization.ToString().Replace("Bearer ", "", StringComparison.Ordinal).Trim()) ?? "api-user@emulator.local";

    static async Task<T?> ReadAsync<T>(HttpContext http, JsonTypeInfo<T> type)
    {
        if (http.Request.ContentLength > MaxBody)
        {
            throw new EmulatorException(413, 3, "body too large");
        }

        try
        {
            using var limited = new MemoryStream();
            await http.Request.Body.CopyToAsync(limited, http.RequestAborted);
            if (limited.Length > MaxBody)
            {
                throw new EmulatorException(413, 3, "body too large");
            }

            if (limited.Length == 0)
            {
                throw EmulatorException.Invalid("body is empty; send JSON");
            }

            limited.Position = 0;
            return await JsonSerializer.DeserializeAsync(limited, type, http.RequestAborted);
        }
        catch (JsonException e)
        {
            throw EmulatorException.Invalid("body is not valid JSON for this call: " + (e.Message.Length > 200 ? e.Message[..200] : e.Message));
        }
    }

    static IResult Json<T>(T value, JsonTypeInfo<T> type) => Results.Json(value, type);

    public static IResult Error(int status, int code, string message) =>
        Results.Json(new IndentStatusEnvelope { Status = new IndentStatus { Code = code, Message = message } }, IndentJsonContext.Default.IndentStatusEnvelope, statusCode: status);
}
