using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Approvals.Core.Indent;
using Approvals.Local.Emulator;
using Approvals.Local.Identity;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;

namespace Approvals.Local.Graph;

/// <summary>The local Microsoft Graph at <c>/graph/v1.0</c> and its controls at <c>/graph/_admin</c> (request log,
/// faults, the app's permissions and role).</summary>
public static class GraphEndpoints
{
    public const string ApiPrefix = "/graph/v1.0";
    public const string AdminPrefix = "/graph/_admin";
    const int MaxBody = 64 * 1024;

    /// <summary>The Graph root a client of this host uses (<c>GRAPH_BASE_URL</c>).</summary>
    public static Uri BaseUrl(Uri hostBase) => new(hostBase, ApiPrefix.TrimStart('/') + "/");

    public static IEndpointRouteBuilder MapLocalGraph(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup(ApiPrefix);
        api.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var graph = http.RequestServices.GetRequiredService<GraphEmulator>();
            var path = http.Request.Path.Value ?? "";
            var arrivedAt = graph.Time.GetUtcNow();
            IResult result;
            try
            {
                result = await AuthorizeAndFaultAsync(http, graph) ?? await next(context) as IResult ?? Results.StatusCode(500);
            }
            catch (GraphRefusalException refusal)
            {
                result = refusal.ToResult(http, graph.Time);
                graph.Record(arrivedAt, http.Request.Method, path, refusal.Status, refusal.Code);
                return result;
            }

            graph.Record(arrivedAt, http.Request.Method, path, StatusOf(result));
            return result;
        });

        api.MapGet("/users/{id}", (string id, HttpRequest request, GraphEmulator graph) =>
            Json(graph.GetUser(id, request.Query["$select"])));
        api.MapGet("/users", (HttpRequest request, GraphEmulator graph) =>
            Json(graph.ListUsers(request.Query["$filter"], request.Query["$select"], request.Query["$top"])));
        api.MapMethods("/users/{id}", ["PATCH"], async (string id, HttpContext http, GraphEmulator graph) =>
        {
            await graph.UpdatePasswordAsync(id, await BodyAsync(http), http.RequestAborted);
            return Results.NoContent();
        });
        api.MapPost("/users/{id}/checkMemberGroups", async (string id, HttpContext http, GraphEmulator graph) =>
            Json(graph.CheckMemberGroups(id, await BodyAsync(http))));
        api.MapPost("/groups/{id}/members/$ref", async (string id, HttpContext http, GraphEmulator graph) =>
        {
            graph.AddMember(id, await BodyAsync(http));
            return Results.NoContent();
        });
        api.MapDelete("/groups/{id}/members/{member}/$ref", (string id, string member, GraphEmulator graph) =>
        {
            graph.RemoveMember(id, member);
            return Results.NoContent();
        });
        api.MapGet("/users/{id}/authentication/temporaryAccessPassMethods", (string id, GraphEmulator graph) => Json(graph.ListPasses(id)));
        api.MapPost("/users/{id}/authentication/temporaryAccessPassMethods", async (string id, HttpContext http, GraphEmulator graph) =>
            Results.Text(graph.CreatePass(id, await BodyAsync(http)).ToJsonString(), "application/json", statusCode: 201));
        api.MapDelete("/users/{id}/authentication/temporaryAccessPassMethods/{method}", (string id, string method, GraphEmulator graph) =>
        {
            graph.DeletePass(id, method);
            return Results.NoContent();
        });
        // Without /$ref Graph deletes the member object itself (group-delete-members, "Caution"): never modelled.
        api.Map("/{**rest}", (HttpRequest request) =>
            Task.FromException<IResult>(GraphRefusalException.NotModelled($"{request.Method} {ApiPrefix}/{request.RouteValues["rest"]}")));

        var admin = app.MapGroup(AdminPrefix);
        admin.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var token = http.RequestServices.GetRequiredService<IConfiguration>()[IndentOptions.TokenSetting];
            var given = http.Request.Headers.Authorization.ToString();
            return token is { Length: > 0 } && given == "Bearer " + token
                ? await next(context)
                : Results.Json(new AdminError("the local Graph's controls take the host's Indent API token as a bearer token"), GraphJsonContext.Default.AdminError, statusCode: 401);
        });
        admin.MapGet("/requests", (GraphEmulator graph) => Results.Json(graph.Requests, GraphJsonContext.Default.IReadOnlyListGraphRequest));
        admin.MapGet("/faults", (GraphEmulator graph) => Results.Json(graph.Faults.Current, EmulatorJsonContext.Default.FaultSpec));
        admin.MapPut("/faults", async (HttpContext http, GraphEmulator graph) =>
        {
            try
            {
                graph.Faults.Set(await JsonSerializer.DeserializeAsync(http.Request.Body, EmulatorJsonContext.Default.FaultSpec) ?? throw new JsonException("empty"));
                return Results.Json(graph.Faults.Current, EmulatorJsonContext.Default.FaultSpec);
            }
            catch (Exception e) when (e is JsonException or EmulatorException)
            {
                return Results.Json(new AdminError("body must be a fault object: " + e.Message), GraphJsonContext.Default.AdminError, statusCode: 400);
            }
        });
        admin.MapDelete("/faults", (GraphEmulator graph) =>
        {
            graph.Faults.Clear();
            return Results.NoContent();
        });
        admin.MapGet("/tap-policy", (GraphEmulator graph) => Results.Json(graph.TapPolicy, GraphJsonContext.Default.TapPolicy));
        admin.MapPut("/tap-policy", async (HttpContext http, GraphEmulator graph) =>
        {
            try
            {
                graph.TapPolicy = await JsonSerializer.DeserializeAsync(http.Request.Body, GraphJsonContext.Default.TapPolicy) ?? throw new JsonException("empty");
                return Results.Json(graph.TapPolicy, GraphJsonContext.Default.TapPolicy);
            }
            catch (JsonException e)
            {
                return Results.Json(new AdminError("body must be a Temporary Access Pass policy object: " + e.Message), GraphJsonContext.Default.AdminError, statusCode: 400);
            }
        });
        admin.MapGet("/app", (GraphEmulator graph) => Results.Json(graph.App, GraphJsonContext.Default.GraphApp));
        admin.MapPut("/app", async (HttpContext http, GraphEmulator graph) =>
        {
            try
            {
                graph.App = await JsonSerializer.DeserializeAsync(http.Request.Body, GraphJsonContext.Default.GraphApp) is { Permissions: not null } given ? given : throw new JsonException("permissions are required");
                return Results.Json(graph.App, GraphJsonContext.Default.GraphApp);
            }
            catch (JsonException e)
            {
                return Results.Json(new AdminError("body must be {\"permissions\":[…],\"directoryRole\":…}: " + e.Message), GraphJsonContext.Default.AdminError, statusCode: 400);
            }
        });
        return app;
    }

    /// <summary>Bearer token first (https://learn.microsoft.com/en-us/graph/errors: 401 "Required authentication information
    /// is either missing or not valid"; Graph's code <c>InvalidAuthenticationToken</c>), then any injected fault: throttling
    /// is 429 with <c>Retry-After</c> (https://learn.microsoft.com/en-us/graph/throttling), an outage 503 or 500.</summary>
    static async Task<IResult?> AuthorizeAndFaultAsync(HttpContext http, GraphEmulator graph)
    {
        var header = http.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.Ordinal) || header.Length == "Bearer ".Length)
        {
            throw new GraphRefusalException(401, "InvalidAuthenticationToken", "Access token is empty.");
        }

        var audience = $"{http.Request.Scheme}://{http.Request.Host.ToUriComponent()}";
        if (!await http.RequestServices.GetRequiredService<LocalIssuer>().IsValidAsync(header["Bearer ".Length..], audience, graph.Time.GetUtcNow()))
        {
            throw new GraphRefusalException(401, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience or signature.");
        }

        var fault = graph.Faults.ForCall(http.Request.Method, http.Request.Path.Value ?? "");
        if (fault.LatencyMs > 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(fault.LatencyMs), graph.Time, http.RequestAborted);
        }

        if (fault.Reset)
        {
            http.Abort();
            return Results.Empty;
        }

        if (fault.Status is { } status)
        {
            throw status == 429
                ? new GraphRefusalException(429, "TooManyRequests", "Too many requests.", fault.RetryAfter)
                : new GraphRefusalException(status, status == 503 ? "serviceNotAvailable" : "generalException", $"injected fault: HTTP {status}", fault.RetryAfter);
        }

        return null;
    }

    static async Task<JsonObject> BodyAsync(HttpContext http)
    {
        if (http.Request.ContentLength is > MaxBody)
        {
            throw GraphRefusalException.BadRequest("The request body is too large.");
        }

        try
        {
            return JsonNode.Parse(await new StreamReader(http.Request.Body).ReadToEndAsync(http.RequestAborted)) as JsonObject
                ?? throw GraphRefusalException.BadRequest("Empty Payload, JSON content expected.");
        }
        catch (JsonException)
        {
            throw GraphRefusalException.BadRequest("Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.");
        }
    }

    static IResult Json(JsonObject body) => Results.Text(body.ToJsonString(), "application/json");

    static int StatusOf(IResult result) => result is IStatusCodeHttpResult { StatusCode: { } code } ? code : 200;
}

public sealed record AdminError([property: JsonPropertyName("error")] string Error);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(GraphErrorBody))]
[JsonSerializable(typeof(AdminError))]
[JsonSerializable(typeof(GraphApp))]
[JsonSerializable(typeof(TapPolicy))]
[JsonSerializable(typeof(IReadOnlyList<GraphRequest>))]
internal sealed partial class GraphJsonContext : JsonSerializerContext;
